package org.jblock.registry;

/**
 * How to open an image through the {@link DriverRegistry}.
 *
 * @param format     the driver's name, or null to pick it by probing
 * @param readOnly   open read-only (a shared lock) instead of read-write (an exclusive lock)
 * @param forceShare take no lock at all (QEMU's {@code -U}); only for read-only opens
 * @param options    the driver's open options as {@code key=value,...}, or empty
 */
public record OpenSpec(String format, boolean readOnly, boolean forceShare, String options) {

    public OpenSpec {
        options = options == null ? "" : options;
    }

    /** Read-write, format probed, no options. */
    public static OpenSpec readWrite() {
        return new OpenSpec(null, false, false, "");
    }

    /** Read-only, format probed, no options. */
    public static OpenSpec readOnlySpec() {
        return new OpenSpec(null, true, false, "");
    }

    public OpenSpec withFormat(String newFormat) {
        return new OpenSpec(newFormat, readOnly, forceShare, options);
    }

    public OpenSpec withReadOnly(boolean newReadOnly) {
        return new OpenSpec(format, newReadOnly, forceShare, options);
    }

    public OpenSpec withForceShare(boolean newForceShare) {
        return new OpenSpec(format, readOnly, newForceShare, options);
    }

    public OpenSpec withOptions(String newOptions) {
        return new OpenSpec(format, readOnly, forceShare, newOptions);
    }
}

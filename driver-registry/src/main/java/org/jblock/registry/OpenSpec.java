package org.jblock.registry;

/**
 * How to open an image through the {@link DriverRegistry}.
 *
 * @param format     the driver's name, or null to pick it by probing
 * @param readOnly   open read-only (a shared lock) instead of read-write (an exclusive lock)
 * @param forceShare take no lock at all (QEMU's {@code -U}); only for read-only opens
 * @param options    the driver's open options as {@code key=value,...}, or empty
 * @param fixedSize  keep out whoever would resize the image while it is open, as QEMU's NBD
 *                   server does, having told its clients the size (formats with metadata always do)
 */
public record OpenSpec(String format, boolean readOnly, boolean forceShare, String options, boolean fixedSize) {

    public OpenSpec {
        options = options == null ? "" : options;
    }

    /** An open that lets others resize the image where its format allows. */
    public OpenSpec(String format, boolean readOnly, boolean forceShare, String options) {
        this(format, readOnly, forceShare, options, false);
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
        return new OpenSpec(newFormat, readOnly, forceShare, options, fixedSize);
    }

    public OpenSpec withReadOnly(boolean newReadOnly) {
        return new OpenSpec(format, newReadOnly, forceShare, options, fixedSize);
    }

    public OpenSpec withForceShare(boolean newForceShare) {
        return new OpenSpec(format, readOnly, newForceShare, options, fixedSize);
    }

    public OpenSpec withOptions(String newOptions) {
        return new OpenSpec(format, readOnly, forceShare, newOptions, fixedSize);
    }

    public OpenSpec withFixedSize(boolean newFixedSize) {
        return new OpenSpec(format, readOnly, forceShare, options, newFixedSize);
    }
}

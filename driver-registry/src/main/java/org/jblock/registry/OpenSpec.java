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
 * @param cache      the cache mode (QEMU's {@code -t}): the {@code cache.*} options of the image
 *                   and everything under it where the options do not name them, and whether each
 *                   write is flushed; {@link CacheMode#WRITEBACK} when null
 */
public record OpenSpec(String format, boolean readOnly, boolean forceShare, String options, boolean fixedSize,
                       CacheMode cache) {

    public OpenSpec {
        options = options == null ? "" : options;
        cache = cache == null ? CacheMode.WRITEBACK : cache;
    }

    /** An open in cache mode writeback. */
    public OpenSpec(String format, boolean readOnly, boolean forceShare, String options, boolean fixedSize) {
        this(format, readOnly, forceShare, options, fixedSize, CacheMode.WRITEBACK);
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
        return new OpenSpec(newFormat, readOnly, forceShare, options, fixedSize, cache);
    }

    public OpenSpec withReadOnly(boolean newReadOnly) {
        return new OpenSpec(format, newReadOnly, forceShare, options, fixedSize, cache);
    }

    public OpenSpec withForceShare(boolean newForceShare) {
        return new OpenSpec(format, readOnly, newForceShare, options, fixedSize, cache);
    }

    public OpenSpec withOptions(String newOptions) {
        return new OpenSpec(format, readOnly, forceShare, newOptions, fixedSize, cache);
    }

    public OpenSpec withFixedSize(boolean newFixedSize) {
        return new OpenSpec(format, readOnly, forceShare, options, newFixedSize, cache);
    }

    public OpenSpec withCache(CacheMode newCache) {
        return new OpenSpec(format, readOnly, forceShare, options, fixedSize, newCache);
    }
}

package org.jblock.registry;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.util.Map;
import java.util.Set;

import org.jblock.api.BlockFile;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.OptionSpec;
import org.jblock.api.UnsupportedFeatureException;
import org.jblock.api.spi.BlockProtocol;
import org.jblock.api.spi.support.DelegatingBlockFile;

/**
 * The {@code cache.*} open options of one node, QEMU's {@code cache.direct} and {@code cache.no-flush},
 * which every node takes whatever its driver: given in a node's options ({@code --image-opts
 * driver=vpc,cache.no-flush=on,...}, {@code file.cache.no-flush=on} for its storage alone), else
 * inherited from the node above (a format's storage and its backing images take the format's),
 * else the {@link CacheMode} the image is opened with.
 *
 * <p>{@code cache.no-flush=on}: flushes of the node's storage do nothing, so neither the format's
 * flushes (its ordering barriers included) nor the user's reach the disk. A crash may then leave the
 * image in any state; QEMU's {@code cache=unsafe}, the mode of qemu-img's convert target, is that.
 * {@code cache.direct=on}: refused on local files (jblock always goes through the page cache),
 * without effect on storage elsewhere.
 *
 * @param direct  {@code cache.direct}
 * @param noFlush {@code cache.no-flush}
 */
record NodeCache(boolean direct, boolean noFlush) {
    static final String DIRECT = "cache.direct";
    static final String NO_FLUSH = "cache.no-flush";
    /** The protocols that reach this host's files, whose page cache {@code cache.direct} is about. */
    private static final Set<String> LOCAL = Set.of(BlockProtocol.FILE, "host_device", "host_cdrom");

    static NodeCache of(CacheMode mode) {
        return new NodeCache(mode.direct(), mode.noFlush());
    }

    /**
     * Takes the {@code cache.*} keys out of {@code options}; those absent are {@code inherited}'s.
     *
     * @throws InvalidOptionException for a value that is not on or off
     */
    static NodeCache take(Map<String, String> options, NodeCache inherited) throws InvalidOptionException {
        String direct = options.remove(DIRECT);
        String noFlush = options.remove(NO_FLUSH);
        return new NodeCache(direct == null ? inherited.direct : bool(DIRECT, direct),
                noFlush == null ? inherited.noFlush : bool(NO_FLUSH, noFlush));
    }

    private static boolean bool(String key, String value) throws InvalidOptionException {
        return OptionSpec.bool(key, false, "").parse(value);
    }

    /** Puts these values into the options of a node that takes them itself (a format as another's storage). */
    void putInto(Map<String, String> options) {
        options.putIfAbsent(DIRECT, direct ? "on" : "off");
        options.putIfAbsent(NO_FLUSH, noFlush ? "on" : "off");
    }

    /**
     * @throws UnsupportedFeatureException when {@code cache.direct=on} asks a local file to bypass the
     *         page cache, with QEMU's words for a file system without {@code O_DIRECT}
     */
    void checkOpenable(Map<String, String> storage) throws UnsupportedFeatureException {
        String protocol = storage.getOrDefault(Protocols.DRIVER, BlockProtocol.FILE);
        if (direct && LOCAL.contains(protocol)) {
            String name = storage.getOrDefault(Protocols.FILENAME, protocol);
            throw new UnsupportedFeatureException("Could not open '" + name + "': filesystem does not support O_DIRECT"
                    + " (jblock reads and writes local files through the page cache: use cache mode writeback,"
                    + " writethrough or unsafe, not none or directsync)");
        }
    }

    /** @return {@code storage}, whose flushes do nothing when {@code cache.no-flush} is on */
    BlockFile over(BlockFile storage) {
        return noFlush ? new NoFlush(storage) : storage;
    }

    /** Storage whose flush does nothing; everything else goes through. */
    private static final class NoFlush extends DelegatingBlockFile {
        NoFlush(BlockFile delegate) {
            super(delegate);
        }

        @Override
        public void flush() {
            // cache.no-flush=on: the data stays where the storage keeps it until it writes it back.
        }

        @Override
        public void transferTo(long position, long count, WritableByteChannel target) throws IOException {
            delegate.transferTo(position, count, target);
        }
    }
}

package org.jblock.registry;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.util.Map;

import org.jblock.api.BlockFile;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.OptionSpec;
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
 * {@code cache.direct=on}: a local file is read and written with {@code O_DIRECT}, bypassing the
 * host's page cache (the file protocol does it, see {@link BlockProtocol#DIRECT}); storage elsewhere
 * (NBD, HTTP, SSH) has no page cache of this host, and it changes nothing there, as in QEMU.
 *
 * @param direct  {@code cache.direct}
 * @param noFlush {@code cache.no-flush}
 */
record NodeCache(boolean direct, boolean noFlush) {
    static final String DIRECT = BlockProtocol.CACHE_DIRECT;
    static final String NO_FLUSH = "cache.no-flush";

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
     * Gives a protocol's options this node's {@code cache.direct}: a protocol that reaches this
     * host's page cache (a local file) bypasses it when on, and the registry drops the key for the
     * others (see {@link BlockProtocol#DIRECT}).
     */
    void putDirectInto(Map<String, String> storage) {
        storage.put(DIRECT, direct ? "on" : "off");
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

package org.jblock.api.spi;

import java.io.IOException;
import java.util.List;

import org.jblock.api.BlockImage;
import org.jblock.api.OptionSpec;

/**
 * A filter: a node that sits above one image (a format with its backing chain, a protocol read as
 * raw, or another filter) and passes every request to it, changing how some requests are served —
 * QEMU's filter drivers ({@code copy-on-read}, {@code throttle}, {@code blkdebug} above a format).
 * Where a {@link BlockProtocol} filter (blkdebug under a format) sees the bytes of the storage, a
 * filter sees the virtual disk: block status with its layers, and writes that copy-on-read makes
 * ({@link BlockImage#writeCopyOnRead}).
 *
 * <h2>How options reach a filter</h2>
 * {@code driver=NAME} selects it ({@code --image-opts}, {@code json:}, qemu-io's {@code open -o});
 * the keys under its {@link #child()} ({@code file.driver=vpc,file.filename=a.vhd}) describe the
 * image below, which the registry opens first (a filename given beside the options is the child's,
 * as QEMU's {@code x-image} is blkdebug's); the other keys are checked against
 * {@link #openOptions()}. A name that is also a protocol's ({@code blkdebug}) is the filter's when
 * its child names a format or a filter, the protocol's otherwise.
 *
 * <h2>Writing a filter</h2>
 * Implement this interface in a {@code public final} class with a public no-argument constructor,
 * return an image that forwards what it does not change (extend
 * {@link org.jblock.api.spi.support.DelegatingBlockImage}) and owns the child (closing it closes
 * the child), and register it with {@code provides org.jblock.api.spi.BlockFilter with ...} and in
 * {@code META-INF/services}. Depths in block status are the child's: a filter is no layer. Failures
 * are {@link IOException}s, never unchecked exceptions.
 */
public interface BlockFilter {

    /** @return QEMU's driver name, what {@code driver=} selects: lower case, unique among filters */
    String name();

    /** @return one line saying what the filter does, for listings */
    default String description() {
        return name();
    }

    /** @return the name of the child option: {@code file} (QEMU's copy-on-read, throttle) or {@code image} (blkdebug) */
    String child();

    /** @return the options {@link #open} accepts, with QEMU's key names */
    default List<OptionSpec<?>> openOptions() {
        return List.of();
    }

    /**
     * Puts the filter over {@code request.child()}. On failure the registry closes the child.
     *
     * @throws org.jblock.api.InvalidOptionException for options that do not go together, naming them
     */
    BlockImage open(FilterRequest request) throws IOException;
}

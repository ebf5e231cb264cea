package org.jblock.api.spi;

import java.io.IOException;
import java.util.List;

import org.jblock.api.BlockImage;
import org.jblock.api.OptionSpec;
import org.jblock.api.UnsupportedFeatureException;

/**
 * A disk-image format: the service a driver module provides.
 *
 * <h2>Writing a driver</h2>
 * <ol>
 *   <li>Implement this interface in a {@code public final} class with a public no-argument
 *       constructor. The class is a stateless factory: one instance serves every image, from many
 *       threads at once; per-image state lives in the {@link BlockImage} that {@link #open} returns
 *       (extend {@link org.jblock.api.spi.support.AbstractBlockImage}, which checks ranges, read-only
 *       state and use after close for you).</li>
 *   <li>Register it both ways, so it is found on the module path and on the class path:
 *       {@code provides org.jblock.api.spi.BlockDriver with com.example.FooDriver;} in
 *       {@code module-info.java}, and the class name in
 *       {@code META-INF/services/org.jblock.api.spi.BlockDriver}. Export nothing.</li>
 *   <li>Test it with the contract kit: extend {@code org.jblock.tests.contract.BlockDriverContract}
 *       from the {@code org.jblock:tests} artifact.</li>
 * </ol>
 *
 * <h2>Errors</h2>
 * Every failure is an {@link IOException}, and those about images, requests and options are
 * {@link org.jblock.api.BlockException}s: {@link org.jblock.api.CorruptImageException} for damaged
 * metadata, {@link UnsupportedFeatureException} for what the driver cannot do,
 * {@link org.jblock.api.InvalidOptionException} for options. A driver never lets an unchecked
 * exception or an {@code OutOfMemoryError} escape on hostile input: it checks every field it reads
 * before it sizes an allocation or a loop from it.
 */
public interface BlockDriver {

    /** The highest probe score: the format's magic is certainly there. */
    int PROBE_CERTAIN = 100;

    /**
     * @return the format name users type ({@code -f vpc}); lower case, unique among drivers, and the
     *         last word of the driver's module name ({@code org.jblock.driver.vpc})
     */
    String name();

    /**
     * @return whether the format keeps metadata in its file (a header, a table) that a second
     *         writer, or a reader while someone writes, would see torn. Then the registry locks the
     *         file against other writers, as QEMU does for every format but raw; a format whose file
     *         is the disk byte for byte answers false, and its file is shared as QEMU shares raw
     *         files
     */
    default boolean hasMetadata() {
        return true;
    }

    /** @return one line saying what the format is, for listings */
    default String description() {
        return name();
    }

    /**
     * Scores how likely {@code input} is an image of this format, from the bytes alone.
     *
     * <p>0 means "not mine", {@value #PROBE_CERTAIN} means "certainly mine" (magic bytes at a fixed
     * place); a weaker sign (a trailer, a file-name extension) scores in between. The registry opens
     * an image with the highest-scoring driver. Must not throw and must not allocate from the input's
     * fields; called from many threads.
     */
    int probe(ProbeInput input);

    /**
     * Opens an image on {@code request.file()}.
     *
     * <p>On success the image owns the file and closes it; on failure the driver leaves the file
     * open for the caller to close. A read-only request must never write to the file.
     *
     * @throws org.jblock.api.CorruptImageException when the metadata is damaged
     * @throws UnsupportedFeatureException          when the image uses what the driver lacks
     * @throws IOException                          when the file cannot be read
     */
    BlockImage open(OpenRequest request) throws IOException;

    /**
     * Writes a new, empty image of {@code request.size()} bytes into {@code request.file()}, which is
     * empty. The caller closes the file afterwards and opens the image with {@link #open}.
     *
     * @throws org.jblock.api.InvalidOptionException when the size or an option is not acceptable
     * @throws UnsupportedFeatureException          when the driver cannot create images
     */
    default void create(CreateRequest request) throws IOException {
        throw new UnsupportedFeatureException("Format driver '" + name() + "' does not support image creation");
    }

    /**
     * Whether the format's images may have a backing image: such a driver opens it through
     * {@link OpenRequest#backing()} (never by itself), reports it in {@link org.jblock.api.ImageInfo#backing()},
     * {@link BlockImage#backing()} and extent depths, and creates layered images from
     * {@link CreateRequest#backing()}. By default false: the registry refuses to create such an image.
     */
    default boolean supportsBacking() {
        return false;
    }

    /** @return the options {@link #open} accepts, in the order to list them */
    default List<OptionSpec<?>> openOptions() {
        return List.of();
    }

    /** @return the options {@link #create} accepts, in the order to list them ({@code size} not included) */
    default List<OptionSpec<?>> createOptions() {
        return List.of();
    }
}

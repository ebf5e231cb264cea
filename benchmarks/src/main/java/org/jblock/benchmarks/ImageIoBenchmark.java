package org.jblock.benchmarks;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.jblock.api.BlockImage;
import org.jblock.api.Sizes;
import org.jblock.registry.DriverRegistry;
import org.jblock.registry.OpenSpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Reads and writes through a driver on the same data: {@code raw}, and {@code vpc} (a dynamic VHD
 * whose every block is allocated, holding the same bytes). The ratio vpc/raw is the cost of the
 * VHD layer; sequential reads of allocated data should stay within 10% of raw.
 *
 * <p>The images live in {@code /dev/shm} when there is one, so that the figures measure the
 * driver rather than the disk. Writes overwrite allocated data: they measure the steady state,
 * not allocation (which happens once, when the image is filled).
 *
 * <p>Each operation is timed alone ({@link Mode#SampleTime}) so that the median per operation can
 * be read: on a shared machine the mean follows the other processes, the median the driver.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class ImageIoBenchmark {
    private static final int SEQUENTIAL = 1 << 20;
    private static final int RANDOM = 4 << 10;
    private static final int RANDOM_OFFSETS = 1 << 16;

    @Param({"raw", "vpc"})
    public String format;

    /** The virtual disk size: large enough that it is not all in the CPU caches. */
    @Param({"256M"})
    public String diskSize;

    private Path dir;
    private BlockImage image;
    private long size;
    private long sequentialAt;
    private long[] randomOffsets;
    private int randomIndex;
    private final ByteBuffer sequentialBuffer = ByteBuffer.allocateDirect(SEQUENTIAL);
    private final ByteBuffer randomBuffer = ByteBuffer.allocateDirect(RANDOM);
    private ByteBuffer sequentialData;
    private ByteBuffer randomData;

    @Setup(Level.Trial)
    public void createImage() throws IOException {
        size = Sizes.parse(diskSize);
        Path shm = Path.of("/dev/shm");
        dir = Files.createTempDirectory(Files.isDirectory(shm) && Files.isWritable(shm) ? shm
                : Path.of(System.getProperty("java.io.tmpdir")), "jblock-bench");
        Path path = dir.resolve("disk." + format);
        DriverRegistry registry = DriverRegistry.load();
        registry.create(path, format, size, format.equals("vpc") ? "subformat=dynamic,force_size=on" : "");
        image = registry.open(path, new OpenSpec(format, false, false, ""));
        fill(image, size);
        image.flush();

        sequentialData = randomBytes(SEQUENTIAL, new SplittableRandom(1));
        randomData = randomBytes(RANDOM, new SplittableRandom(2));
        SplittableRandom random = new SplittableRandom(42);
        randomOffsets = new long[RANDOM_OFFSETS];
        for (int i = 0; i < RANDOM_OFFSETS; i++) {
            randomOffsets[i] = random.nextLong(size / RANDOM) * RANDOM;
        }
    }

    /** The same bytes for every format: a fixed pseudo-random stream, so nothing is all zeros. */
    private static void fill(BlockImage image, long size) throws IOException {
        SplittableRandom random = new SplittableRandom(7);
        for (long at = 0; at < size; at += SEQUENTIAL) {
            ByteBuffer chunk = randomBytes(SEQUENTIAL, random);
            image.write(at, chunk.limit((int) Math.min(SEQUENTIAL, size - at)));
        }
    }

    private static ByteBuffer randomBytes(int length, SplittableRandom random) {
        ByteBuffer bytes = ByteBuffer.allocateDirect(length);
        while (bytes.remaining() >= Long.BYTES) {
            bytes.putLong(random.nextLong());
        }
        return bytes.flip();
    }

    @TearDown(Level.Trial)
    public void deleteImage() throws IOException {
        image.close();
        try (var files = Files.list(dir)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Files.delete(file);
            }
        }
        Files.delete(dir);
    }

    private long nextSequential() {
        long at = sequentialAt;
        sequentialAt = at + SEQUENTIAL >= size ? 0 : at + SEQUENTIAL;
        return at;
    }

    private long nextRandom() {
        long at = randomOffsets[randomIndex];
        randomIndex = (randomIndex + 1) & (RANDOM_OFFSETS - 1);
        return at;
    }

    @Benchmark
    public ByteBuffer sequentialRead1M() throws IOException {
        sequentialBuffer.clear();
        image.read(nextSequential(), sequentialBuffer);
        return sequentialBuffer;
    }

    @Benchmark
    public ByteBuffer randomRead4K() throws IOException {
        randomBuffer.clear();
        image.read(nextRandom(), randomBuffer);
        return randomBuffer;
    }

    @Benchmark
    public void sequentialWrite1M() throws IOException {
        image.write(nextSequential(), sequentialData.duplicate());
    }

    @Benchmark
    public void randomWrite4K() throws IOException {
        image.write(nextRandom(), randomData.duplicate());
    }
}

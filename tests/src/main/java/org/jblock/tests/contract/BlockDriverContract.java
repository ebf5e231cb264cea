package org.jblock.tests.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.jblock.api.BackingImage;
import org.jblock.api.BlockException;
import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.Extent;
import org.jblock.api.ImageClosedException;
import org.jblock.api.ImageInfo;
import org.jblock.api.InvalidRequestException;
import org.jblock.api.Options;
import org.jblock.api.ReadOnlyImageException;
import org.jblock.api.spi.BackingOpener;
import org.jblock.api.spi.BlockDriver;
import org.jblock.api.spi.CreateRequest;
import org.jblock.api.spi.OpenRequest;
import org.jblock.api.spi.ProbeInput;
import org.jblock.tests.contract.ForeignImages.ForeignImage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The contract every {@link BlockDriver} meets, as JUnit 5 tests that a driver's own test class
 * inherits. Extend it, say which driver to test, and describe the images it should create:
 *
 * <pre>{@code
 * class FooDriverContractTest extends BlockDriverContract {
 *     @Override
 *     protected BlockDriver driver() {
 *         return new FooDriver();
 *     }
 *
 *     @Override
 *     protected String createOptions() {
 *         return "cluster_size=64k";
 *     }
 *
 *     @Override
 *     protected int granularity() {
 *         return 64 * 1024;
 *     }
 * }
 * }</pre>
 *
 * <p>Each check creates a new image through the SPI ({@link BlockDriver#create}, then
 * {@link BlockDriver#open}), exactly as the registry does, and runs three times: on a
 * {@link Storage#MEMORY memory file}, on a {@link Storage#LOCAL_FILE local file} and on a local file
 * opened with {@code O_DIRECT} ({@link Storage#DIRECT_FILE}, QEMU's cache mode none). Data checks compare the image with an
 * in-memory model of every byte, so images must be small enough for a byte array (the default size
 * is a few clusters; see {@link #requestedSize()}).
 *
 * <p>What the checks hold a driver to, beyond reading back what was written:
 * <ul>
 *   <li>a new image has the {@linkplain #expectedSize expected size}, reads as zeros, and says its
 *       format in {@link BlockImage#info()};</li>
 *   <li>data survives close and reopen; {@code writeZeroes} and {@code discard} change nothing
 *       outside their range; block status covers each range exactly and its zero runs read as
 *       zeros;</li>
 *   <li>requests beyond the end are refused with {@link InvalidRequestException}, and a read-only
 *       image refuses changes with {@link ReadOnlyImageException}; in both cases the stored bytes
 *       stay exactly as they were (a read-only open writes nothing, not even metadata);</li>
 *   <li>the probe scores the driver's own images at {@value #PROBE_CLAIM} or more, and zeros,
 *       random bytes, short files and other formats below (a fallback such as raw scores everything
 *       below); files of other formats are refused on open with a {@link BlockException}, and
 *       truncated images of its own either open or are refused that way: nothing crashes;</li>
 *   <li>closing twice is harmless; afterwards every call, {@code size()} included, fails with
 *       {@link ImageClosedException};</li>
 *   <li>eight threads writing and reading disjoint ranges, with borders inside shared sectors and
 *       units, leave every byte as the model says.</li>
 * </ul>
 *
 * <p>Offsets and lengths are random, aimed at the driver's {@link #granularity()} boundaries and at
 * the end of the image. The random seed is new on every run and named in every failure message;
 * run again with {@code -Djblock.contract.seed=<seed>} to repeat a failing run exactly.
 *
 * <p>The checks are public so that test classes in any package and module can inherit them. A
 * driver under test must support {@link BlockDriver#create}.
 */
public abstract class BlockDriverContract {

    /** Where a check keeps its image. */
    public enum Storage {
        /** A {@link org.jblock.api.MemoryBlockFile}. */
        MEMORY("memory"),
        /** A local file in a temporary folder, through the {@code file} protocol. */
        LOCAL_FILE("local file"),
        /**
         * The same, opened with {@code cache.direct=on} (QEMU's cache modes none and directsync): the
         * format's unaligned requests reach the protocol's aligning of {@code O_DIRECT} I/O. Skipped,
         * saying so, where the temporary folder's file system has no {@code O_DIRECT}.
         */
        DIRECT_FILE("local file with O_DIRECT");

        private final String label;

        Storage(String label) {
            this.label = label;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    /** The system property that repeats a run: the seed a failure message names. */
    public static final String SEED_PROPERTY = "jblock.contract.seed";

    /** A probe score from which a driver claims a file as its own. */
    protected static final int PROBE_CLAIM = 50;

    private static final int MAX_MODEL_SIZE = 256 << 20;
    private static final int READ_CHUNK = 1 << 20;
    private static final int SECTOR = 512;
    private static final int SHORT_REQUEST = 256 * 1024;
    private static final int RANDOM_ROUNDS = 150;
    private static final int THREADS = 8;
    private static final int ROUNDS_PER_THREAD = 25;
    private static final long THREAD_TIMEOUT_MINUTES = 5;
    private static final String IMAGE_NAME = "image.img";

    private Path folder;
    private long seed;

    /** @return the driver under test */
    protected abstract BlockDriver driver();

    /**
     * Runs only under a test runner that is not JUnit Platform, and fails there: Surefire before
     * 2.22 (Maven 3.8's default is 2.12) runs the public {@code test...} methods of plain classes
     * and none of the contract's JUnit 5 tests, so a driver's build would pass with no contract
     * check run. JUnit Platform never runs this method (it has no {@code @Test}).
     */
    public void testTheContractNeedsJUnitPlatform() {
        throw new AssertionError("jblock's driver contract did not run: its tests need JUnit Platform"
                + " (maven-surefire-plugin 3.x, or 2.22 at the least)");
    }

    /** @return the create options, as {@code key=value,...} (default: none, the driver's defaults) */
    protected String createOptions() {
        return "";
    }

    /**
     * @return the create options of a layered image over an image made with {@link #createOptions()},
     *         for a format with backing files (default: the same)
     */
    protected String layeredCreateOptions() {
        return createOptions();
    }

    /** @return the open options, as {@code key=value,...} (default: none) */
    protected String openOptions() {
        return "";
    }

    /**
     * @return the format's allocation unit (cluster or block size) in bytes, which random requests
     *         aim to cross; for a format without one, a size worth crossing (default 64 KiB)
     */
    protected int granularity() {
        return 64 * 1024;
    }

    /**
     * @return the virtual size to create images with (default: eight and a half times the
     *         {@link #granularity()}, so that the last unit is partly outside the disk)
     */
    protected long requestedSize() {
        return 8L * granularity() + granularity() / 2;
    }

    /**
     * @return the virtual size an image created with {@code requested} bytes has (default: the same;
     *         a format that rounds sizes up says how)
     */
    protected long expectedSize(long requested) {
        return requested;
    }

    /**
     * @return whether the driver recognises its images by their content (default true); a fallback
     *         that claims any file (raw) answers false, and must then score every file, its own
     *         images included, below {@value #PROBE_CLAIM} so that real formats win
     */
    protected boolean recognisesContent() {
        return true;
    }

    /** Takes a fresh temporary folder and a fresh seed (or the one asked for) for each check. */
    @BeforeEach
    public final void prepareCheck(@TempDir Path temporaryFolder) {
        folder = temporaryFolder;
        Long repeated = Long.getLong(SEED_PROPERTY);
        seed = repeated != null ? repeated : ThreadLocalRandom.current().nextLong();
    }

    // ---------------------------------------------------------------- layered images

    /**
     * Layered images, for a format with backing files ({@link BlockDriver#supportsBacking()}): a child
     * created over a base reads as the base; random writes (unaligned ones, zeros and write-zeroes
     * over the base's data included) read back as the model; the runs written are the child's own
     * (depth 0); the base is never written; the child names and owns its base. A format without
     * backing files never asks its {@link BackingOpener} for one.
     */
    @ParameterizedTest(name = "on {0}")
    @EnumSource(Storage.class)
    public void layeredImagesReadThroughToTheirBackingImage(Storage storage) throws IOException {
        BlockDriver driver = driver();
        Random random = random();
        ImageStore baseStore = store(storage, "base.img");
        byte[] base = createWithRandomData(baseStore, random);
        if (!driver.supportsBacking()) {
            BackingOpener refusing = (name, format) -> {
                throw new AssertionError("a format without backing files asked for '" + name + "'");
            };
            try (BlockImage image = open(baseStore, true, refusing)) {
                assertTrue(image.backing().isEmpty(), "a format without backing files has a backing image");
                assertTrue(image.info().backing().isEmpty(), "a format without backing files names one");
            }
            return;
        }
        byte[] baseBytes = baseStore.bytes();
        String baseLocation = storage == Storage.MEMORY ? "base.img" : folder.resolve("base.img").toString();
        ImageStore childStore = store(storage, "child.img");
        try (BlockImage parent = open(baseStore, true)) {
            Options options = Options.parse(layeredCreateOptions(), driver.createOptions());
            try (BlockFile file = childStore.create()) {
                driver.create(new CreateRequest(file, requestedSize(), options,
                        new BackingImage("base.img", baseLocation, parent)));
                file.flush();
            }
        }
        List<String> asked = new ArrayList<>();
        BackingOpener opener = (name, format) -> {
            asked.add(name);
            return open(baseStore, true);
        };
        try (BlockImage child = open(childStore, false, opener)) {
            assertEquals(List.of("base.img"), asked.stream().map(n -> Path.of(n).getFileName().toString()).toList(),
                    "the child asks for its base, once");
            assertTrue(child.backing().isPresent(), "the child's backing image");
            assertTrue(child.info().backing().isPresent(), "info names the backing file");
            byte[] model = Arrays.copyOf(base, modelSize(child));
            assertImageIs(model, child, "a new child");
            boolean[] written = new boolean[(model.length + SECTOR - 1) / SECTOR];
            for (int round = 0; round < RANDOM_ROUNDS / 5; round++) {
                Range range = randomRange(random, model.length);
                switch (round % 3) {
                    case 0:
                        writeRandom(random, child, model, range);
                        break;
                    case 1:
                        child.write(range.offset, ByteBuffer.allocate(range.length));
                        Arrays.fill(model, range.start(), range.start() + range.length, (byte) 0);
                        break;
                    default:
                        child.writeZeroes(range.offset, range.length, random.nextBoolean());
                        Arrays.fill(model, range.start(), range.start() + range.length, (byte) 0);
                        break;
                }
                if (round % 3 == 0) {
                    Arrays.fill(written, range.start() / SECTOR, (range.start() + range.length - 1) / SECTOR + 1, true);
                }
            }
            assertImageIs(model, child, "the child after random writes, zeros and write-zeroes");
            for (Extent e : child.blockStatus(0, model.length)) {
                assertTrue(e.depth() <= 1, () -> "a chain of two images reports depth " + e.depth() + " at " + e);
                for (long at = e.start(); at < e.end(); at += SECTOR) {
                    if (written[(int) (at / SECTOR)]) {
                        assertEquals(0, e.depth(), "a sector the child wrote is the child's own: " + e);
                    }
                }
            }
        }
        assertArrayEquals(baseBytes, baseStore.bytes(), "the base is never written");
    }

    // ---------------------------------------------------------------- size and fresh content

    @ParameterizedTest(name = "on {0}")
    @EnumSource(Storage.class)
    public void createdImageOpensWithTheExpectedSize(Storage storage) throws IOException {
        try (BlockImage image = createAndOpen(store(storage))) {
            long expected = expectedSize(requestedSize());
            assertEquals(expected, image.size(), "virtual size of an image created with " + requestedSize() + " bytes");
            assertFalse(image.isReadOnly(), "an image opened for writing says it is read-only");
            ImageInfo info = image.info();
            assertEquals(driver().name(), info.format(), "info().format()");
            assertEquals(expected, info.virtualSize(), "info().virtualSize()");
        }
    }

    @ParameterizedTest(name = "on {0}")
    @EnumSource(Storage.class)
    public void newImageReadsAsZeros(Storage storage) throws IOException {
        try (BlockImage image = createAndOpen(store(storage))) {
            assertImageIs(new byte[modelSize(image)], image, "a new image");
        }
    }

    // ---------------------------------------------------------------- data

    @ParameterizedTest(name = "on {0}")
    @EnumSource(Storage.class)
    public void randomWritesReadBackAsTheModel(Storage storage) throws IOException {
        Random random = random();
        try (BlockImage image = createAndOpen(store(storage))) {
            byte[] model = new byte[modelSize(image)];
            for (int round = 0; round < RANDOM_ROUNDS; round++) {
                Range written = randomRange(random, model.length);
                writeRandom(random, image, model, written);
                Range read = randomRange(random, model.length);
                assertReads(model, image, read, random, "read " + read + " after write " + round + " " + written);
            }
            assertImageIs(model, image, "the image after " + RANDOM_ROUNDS + " random writes");
        }
    }

    @ParameterizedTest(name = "on {0}")
    @EnumSource(Storage.class)
    public void dataSurvivesCloseAndReopen(Storage storage) throws IOException {
        Random random = random();
        ImageStore store = store(storage);
        byte[] model = createWithRandomData(store, random);
        try (BlockImage image = open(store, false)) {
            assertImageIs(model, image, "the image opened again for writing");
            Range more = randomRange(random, model.length);
            writeRandom(random, image, model, more);
        }
        try (BlockImage image = open(store, true)) {
            assertEquals(model.length, image.size(), "virtual size after reopening");
            assertImageIs(model, image, "the image opened again read-only");
        }
    }

    @ParameterizedTest(name = "on {0}")
    @EnumSource(Storage.class)
    public void writeZeroesAndDiscardChangeOnlyTheirRange(Storage storage) throws IOException {
        Random random = random();
        ImageStore store = store(storage);
        byte[] model;
        try (BlockImage image = createAndOpen(store)) {
            model = new byte[modelSize(image)];
            for (int round = 0; round < 5; round++) {
                writeRandomRounds(random, image, model);
                Range zeroed = randomRange(random, model.length);
                boolean mayUnmap = random.nextBoolean();
                image.writeZeroes(zeroed.offset, zeroed.length, mayUnmap);
                Arrays.fill(model, zeroed.start(), zeroed.end(), (byte) 0);
                assertImageIs(model, image, "the image after writeZeroes " + zeroed + " (mayUnmap " + mayUnmap + ")");

                Range discarded = randomRange(random, model.length);
                image.discard(discarded.offset, discarded.length);
                // Discarded content is unspecified: take whatever the image now holds there.
                byte[] after = readBytes(image, discarded.offset, discarded.length, random);
                System.arraycopy(after, 0, model, discarded.start(), discarded.length);
                assertImageIs(model, image, "the image outside the discarded range " + discarded);
            }
        }
        try (BlockImage image = open(store, true)) {
            assertImageIs(model, image, "the image reopened after writeZeroes and discard");
        }
    }

    @ParameterizedTest(name = "on {0}")
    @EnumSource(Storage.class)
    public void blockStatusCoversEachRangeExactly(Storage storage) throws IOException {
        Random random = random();
        try (BlockImage image = createAndOpen(store(storage))) {
            byte[] model = new byte[modelSize(image)];
            writeRandomRounds(random, image, model);
            Range zeroed = randomRange(random, model.length);
            image.writeZeroes(zeroed.offset, zeroed.length, true);
            Arrays.fill(model, zeroed.start(), zeroed.end(), (byte) 0);

            List<Range> ranges = new ArrayList<>(List.of(new Range(0, model.length), zeroed));
            for (int i = 0; i < 20; i++) {
                ranges.add(randomRange(random, model.length));
            }
            for (Range range : ranges) {
                List<Extent> extents = image.blockStatus(range.offset, range.length);
                assertStatusCovers(model, range, extents);
                assertMappedRunsAreStoredAsTheyRead(model, image, extents);
            }
        }
    }

    /**
     * Where the image names its host storage, every data extent of its own layer with a host offset
     * must read from that storage at that offset exactly as the image reads (what lets a server send
     * the storage's bytes directly); and a driver that names it maps its data.
     */
    private void assertMappedRunsAreStoredAsTheyRead(byte[] model, BlockImage image, List<Extent> extents)
            throws IOException {
        Optional<BlockFile> storage = image.hostStorage();
        if (storage.isEmpty()) {
            return;
        }
        boolean mapped = false;
        for (Extent extent : extents) {
            if (!extent.data() || extent.hostOffset().isEmpty() || extent.depth() != 0) {
                continue;
            }
            mapped = true;
            ByteBuffer stored = ByteBuffer.allocate((int) extent.length());
            storage.get().readFully(stored, extent.hostOffset().getAsLong());
            assertMatchesModel(model, extent.start(), stored.array(), extent + " read from the host storage "
                    + storage.get().name());
        }
        boolean data = extents.stream().anyMatch(Extent::data);
        assertTrue(mapped || !data, () -> "the image names its host storage but maps none of its data: " + extents);
    }

    // ---------------------------------------------------------------- refusals

    @ParameterizedTest(name = "on {0}")
    @EnumSource(Storage.class)
    public void requestsBeyondTheEndAreRefusedAndChangeNothing(Storage storage) throws IOException {
        Random random = random();
        ImageStore store = store(storage);
        try (BlockImage image = createAndOpen(store)) {
            byte[] model = new byte[modelSize(image)];
            long size = model.length;
            int tail = (int) Math.min(size, granularity());
            writeRandom(random, image, model, new Range(size - tail, tail));
            image.flush();
            byte[] stored = store.bytes();

            Map<String, Executable> requests = new LinkedHashMap<>();
            requests.put("read across the end", () -> image.read(size - 10, ByteBuffer.allocate(20)));
            requests.put("read at the end", () -> image.read(size, ByteBuffer.allocate(1)));
            requests.put("read at a negative offset", () -> image.read(-1, ByteBuffer.allocate(1)));
            requests.put("read far beyond the end", () -> image.read(Long.MAX_VALUE, ByteBuffer.allocate(1)));
            requests.put("write across the end", () -> image.write(size - 10, filled(20, 0x5a)));
            requests.put("write at the end", () -> image.write(size, filled(1, 0x5a)));
            requests.put("write at a negative offset", () -> image.write(-1, filled(1, 0x5a)));
            requests.put("write whose end overflows a long", () -> image.write(Long.MAX_VALUE - 4, filled(10, 0x5a)));
            requests.put("writeZeroes across the end", () -> image.writeZeroes(size - 10, 20, false));
            requests.put("writeZeroes of a negative length", () -> image.writeZeroes(0, -1, false));
            requests.put("discard across the end", () -> image.discard(size - 10, 20));
            requests.put("blockStatus across the end", () -> image.blockStatus(size - 10, 20));
            assertEachRefused(InvalidRequestException.class, requests);

            image.flush();
            assertEquals(size, image.size(), "virtual size after refused requests");
            assertImageIs(model, image, "the image after refused requests");
            assertStoredBytesUnchanged(stored, store, "refused requests");
        }
    }

    @ParameterizedTest(name = "on {0}")
    @EnumSource(Storage.class)
    public void readOnlyImageRefusesChangesAndWritesNothing(Storage storage) throws IOException {
        Random random = random();
        ImageStore store = store(storage);
        byte[] model = createWithRandomData(store, random);
        byte[] stored = store.bytes();
        try (BlockImage image = open(store, true)) {
            assertTrue(image.isReadOnly(), "an image opened read-only says it is writable");
            Map<String, Executable> changes = new LinkedHashMap<>();
            changes.put("write to a read-only image", () -> image.write(0, filled(SECTOR, 0x5a)));
            changes.put("writeZeroes on a read-only image", () -> image.writeZeroes(0, SECTOR, true));
            changes.put("discard on a read-only image", () -> image.discard(0, SECTOR));
            assertEachRefused(ReadOnlyImageException.class, changes);
            image.flush();
            assertImageIs(model, image, "the read-only image after refused changes");
        }
        assertStoredBytesUnchanged(stored, store, "a read-only open");
    }

    // ---------------------------------------------------------------- probing

    @ParameterizedTest(name = "on {0}")
    @EnumSource(Storage.class)
    public void probeScoresOwnImagesAsItsFormatAllows(Storage storage) throws IOException {
        Random random = random();
        ImageStore store = store(storage);
        createImage(store);
        assertOwnImageScore(probe(store), "a new image");
        try (BlockImage image = open(store, false)) {
            byte[] model = new byte[modelSize(image)];
            int edge = (int) Math.min(model.length, granularity());
            writeRandom(random, image, model, new Range(0, edge));
            writeRandom(random, image, model, new Range(model.length - edge, edge));
            writeRandomRounds(random, image, model);
        }
        assertOwnImageScore(probe(store), "an image full of random data");
    }

    @ParameterizedTest(name = "on {0}")
    @EnumSource(Storage.class)
    public void probeScoresOtherFilesBelowAClaim(Storage storage) throws IOException {
        int index = 0;
        for (Map.Entry<String, byte[]> file : otherFiles(random()).entrySet()) {
            ImageStore store = storeHolding(storage, "other-" + index++ + ".img", file.getValue());
            int score = probe(store);
            assertTrue(score >= 0 && score < PROBE_CLAIM, () -> driver().name() + " scores " + file.getKey()
                    + " at " + score + "; a file that is not its image must score in [0, " + PROBE_CLAIM + ")");
        }
    }

    // ---------------------------------------------------------------- hostile files

    @ParameterizedTest(name = "on {0}")
    @EnumSource(Storage.class)
    public void foreignAndTruncatedFilesFailWithATypedError(Storage storage) throws IOException {
        Random random = random();
        Map<String, byte[]> files = otherFiles(random);
        ImageStore own = store(storage, "own.img");
        createWithRandomData(own, random);
        byte[] image = own.bytes();
        int[] cuts = {0, 1, 8, SECTOR - 1, SECTOR, 2 * SECTOR, image.length / 2, image.length - SECTOR, image.length - 1};
        for (int cut : cuts) {
            if (cut >= 0 && cut < image.length) {
                files.put("its own image cut to " + cut + " of " + image.length + " bytes", Arrays.copyOf(image, cut));
            }
        }
        int index = 0;
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            boolean foreign = !file.getKey().startsWith("its own image");
            assertOpensOrFailsWithATypedError(storeHolding(storage, "hostile-" + index++ + ".img", file.getValue()),
                    file.getKey(), foreign && recognisesContent());
        }
    }

    /**
     * Opening {@code store} read-only either fails with a {@link BlockException} that says why, or
     * gives an image whose every byte reads or fails with an {@link IOException}: never an unchecked
     * exception or an error. {@code mustRefuse}: a file that is not of this format must not open.
     */
    private void assertOpensOrFailsWithATypedError(ImageStore store, String what, boolean mustRefuse)
            throws IOException {
        String context = driver().name() + " opening " + what;
        BlockImage image;
        try {
            image = open(store, true);
        } catch (BlockException refused) {
            assertTrue(refused.getMessage() != null && !refused.getMessage().isBlank(),
                    () -> context + ": the error has no message");
            return;
        } catch (IOException | RuntimeException | Error other) {
            fail(context + " failed with " + other + "; bad input must give a BlockException ["
                    + reproduce() + "]", other);
            return;
        }
        try (image) {
            assertFalse(mustRefuse, () -> context + " succeeded; a file of another format must be refused");
            readEverything(image, context);
        }
    }

    /** Reads every byte; a read may fail as I/O where the file lacks data, but never crash. */
    private void readEverything(BlockImage image, String context) {
        try {
            long size = image.size();
            ByteBuffer chunk = ByteBuffer.allocate(READ_CHUNK);
            for (long at = 0; at < size; at += READ_CHUNK) {
                image.read(at, chunk.clear().limit((int) Math.min(READ_CHUNK, size - at)));
            }
        } catch (IOException missingData) {
            // Allowed: the image opened, but some of its data is not in the file.
        } catch (RuntimeException | Error crash) {
            fail(context + ": a read crashed with " + crash + " [" + reproduce() + "]", crash);
        }
    }

    /** Files that are not images of this driver's format, by what they are. */
    private Map<String, byte[]> otherFiles(Random random) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("an all-zero file of 1 MiB", new byte[1 << 20]);
        files.put("an all-zero file of 512 bytes", new byte[SECTOR]);
        files.put("a random file of 1 MiB", randomBytes(random, 1 << 20));
        for (int length : new int[] {0, 1, 7, 100, 511}) {
            files.put("a random file of " + length + " bytes", randomBytes(random, length));
        }
        for (ForeignImage other : ForeignImages.except(driver().name())) {
            files.put(other.toString(), other.content());
        }
        return files;
    }

    private ImageStore storeHolding(Storage storage, String fileName, byte[] content) throws IOException {
        ImageStore store = store(storage, fileName);
        try (BlockFile out = store.create()) {
            out.write(ByteBuffer.wrap(content), 0);
        }
        return store;
    }

    // ---------------------------------------------------------------- close

    @ParameterizedTest(name = "on {0}")
    @EnumSource(Storage.class)
    public void closingTwiceIsHarmless(Storage storage) throws IOException {
        Random random = random();
        ImageStore store = store(storage);
        BlockImage image = createAndOpen(store);
        byte[] model = new byte[modelSize(image)];
        writeRandomRounds(random, image, model);
        image.close();
        image.close();
        try (BlockImage again = open(store, true)) {
            assertImageIs(model, again, "the image after closing it twice");
        }
    }

    @ParameterizedTest(name = "on {0}")
    @EnumSource(Storage.class)
    public void useAfterCloseFailsClearly(Storage storage) throws IOException {
        BlockImage image = createAndOpen(store(storage));
        image.close();
        Map<String, Executable> calls = new LinkedHashMap<>();
        calls.put("size after close", image::size);
        calls.put("read after close", () -> image.read(0, ByteBuffer.allocate(SECTOR)));
        calls.put("write after close", () -> image.write(0, filled(SECTOR, 0x5a)));
        calls.put("writeZeroes after close", () -> image.writeZeroes(0, SECTOR, false));
        calls.put("discard after close", () -> image.discard(0, SECTOR));
        calls.put("flush after close", image::flush);
        calls.put("blockStatus after close", () -> image.blockStatus(0, SECTOR));
        calls.put("info after close", image::info);
        assertEachRefused(ImageClosedException.class, calls);
    }

    // ---------------------------------------------------------------- concurrency

    @ParameterizedTest(name = "on {0}")
    @EnumSource(Storage.class)
    public void concurrentWritersAndReadersOnDisjointRangesKeepEveryByte(Storage storage) throws IOException {
        Random random = random();
        ImageStore store = store(storage);
        byte[] model;
        try (BlockImage image = createAndOpen(store)) {
            model = new byte[modelSize(image)];
            int[] cuts = regionCuts(random, model.length);
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<?>> regions = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    Range region = new Range(cuts[t], cuts[t + 1] - cuts[t]);
                    Random own = new Random(seed + 1 + t);
                    byte[] shared = model;
                    regions.add(pool.submit(() -> {
                        start.await();
                        exerciseRegion(image, shared, region, own);
                        return null;
                    }));
                }
                start.countDown();
                for (Future<?> region : regions) {
                    awaitRegion(region);
                }
            } finally {
                pool.shutdownNow();
            }
            assertImageIs(model, image, "the image after " + THREADS + " threads wrote disjoint ranges");
        }
        try (BlockImage image = open(store, true)) {
            assertImageIs(model, image, "the image reopened after concurrent writes");
        }
    }

    /** One thread's work: writes and reads inside its own region, checked against the model. */
    private void exerciseRegion(BlockImage image, byte[] model, Range region, Random random) throws IOException {
        for (int round = 0; round < ROUNDS_PER_THREAD; round++) {
            writeRandom(random, image, model, randomRangeWithin(random, region));
            Range read = randomRangeWithin(random, region);
            assertReads(model, image, read, random, "a concurrent read " + read + " in region " + region);
        }
        assertReads(model, image, region, random, "the whole region " + region + " of one thread");
    }

    private void awaitRegion(Future<?> region) {
        try {
            region.get(THREAD_TIMEOUT_MINUTES, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AssertionError) {
                throw (AssertionError) e.getCause();
            }
            fail("a concurrent writer failed [" + reproduce() + "]", e.getCause());
        } catch (TimeoutException e) {
            fail("a concurrent writer made no progress in " + THREAD_TIMEOUT_MINUTES + " minutes: a deadlock? ["
                    + reproduce() + "]");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted while waiting for the concurrent writers");
        }
    }

    /**
     * Splits {@code [0, size)} into {@value #THREADS} regions whose borders sit a little off the
     * sector grid, so neighbouring threads share sectors and allocation units.
     */
    private static int[] regionCuts(Random random, int size) {
        int[] cuts = new int[THREADS + 1];
        cuts[THREADS] = size;
        int jitter = Math.max(1, Math.min(SECTOR - 1, size / (4 * THREADS)));
        for (int t = 1; t < THREADS; t++) {
            long even = (long) size * t / THREADS;
            cuts[t] = (int) Math.max(cuts[t - 1] + 1, even + random.nextInt(-jitter, jitter + 1));
        }
        return cuts;
    }

    // ---------------------------------------------------------------- the image's life

    /** @return storage for a check's image, in the check's temporary folder when local */
    private ImageStore store(Storage storage) throws IOException {
        return store(storage, IMAGE_NAME);
    }

    private ImageStore store(Storage storage, String fileName) throws IOException {
        if (storage == Storage.DIRECT_FILE) {
            assumeTrue(ImageStore.takesDirectIo(folder), "the file system of " + folder + " has no O_DIRECT");
        }
        return storage == Storage.MEMORY
                ? ImageStore.inMemory(fileName)
                : ImageStore.localFile(folder.resolve(fileName), storage == Storage.DIRECT_FILE);
    }

    /** Creates an image of {@link #requestedSize()} with {@link #createOptions()}, as the registry does. */
    private void createImage(ImageStore store) throws IOException {
        BlockDriver driver = driver();
        Options options = Options.parse(createOptions(), driver.createOptions());
        try (BlockFile file = store.create()) {
            driver.create(new CreateRequest(file, requestedSize(), options));
            file.flush();
        }
    }

    /** Creates an image, writes random data at random places, closes it and returns the model. */
    private byte[] createWithRandomData(ImageStore store, Random random) throws IOException {
        try (BlockImage image = createAndOpen(store)) {
            byte[] model = new byte[modelSize(image)];
            writeRandomRounds(random, image, model);
            return model;
        }
    }

    private BlockImage createAndOpen(ImageStore store) throws IOException {
        createImage(store);
        return open(store, false);
    }

    private BlockImage open(ImageStore store, boolean readOnly) throws IOException {
        return open(store, readOnly, BackingOpener.NONE);
    }

    private BlockImage open(ImageStore store, boolean readOnly, BackingOpener backing) throws IOException {
        BlockDriver driver = driver();
        Options options = Options.parse(openOptions(), driver.openOptions());
        BlockFile file = store.open(readOnly);
        try {
            return driver.open(new OpenRequest(file, readOnly, options, backing));
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private int probe(ImageStore store) throws IOException {
        try (BlockFile file = store.open(true)) {
            ProbeInput input = ProbeInput.read(file);
            try {
                return driver().probe(input);
            } catch (RuntimeException e) {
                return fail(driver().name() + ".probe threw on " + file.name() + " (" + input.fileSize()
                        + " bytes); a probe must never throw [" + reproduce() + "]", e);
            }
        }
    }

    private void assertOwnImageScore(int score, String what) {
        if (recognisesContent()) {
            assertTrue(score >= PROBE_CLAIM && score <= BlockDriver.PROBE_CERTAIN, () -> driver().name()
                    + " scores " + what + " of its own at " + score + "; expected at least " + PROBE_CLAIM
                    + " [" + reproduce() + "]");
        } else {
            assertTrue(score > 0 && score < PROBE_CLAIM, () -> driver().name() + " (a fallback) scores " + what
                    + " of its own at " + score + "; a fallback claims its images with a score in (0, "
                    + PROBE_CLAIM + ") so that every format recognised by content wins");
        }
    }

    /** @return the virtual size as an int: the model holds every byte */
    private int modelSize(BlockImage image) throws IOException {
        long size = image.size();
        assertTrue(size > 0 && size <= MAX_MODEL_SIZE, () -> "the contract checks images of 1 byte to "
                + MAX_MODEL_SIZE + " bytes, this one has " + size + "; override requestedSize()");
        return (int) size;
    }

    // ---------------------------------------------------------------- ranges and I/O

    /** A byte range of the virtual disk. */
    private record Range(long offset, int length) {
        int start() {
            return (int) offset;
        }

        int end() {
            return (int) offset + length;
        }

        @Override
        public String toString() {
            return "[" + offset + ", +" + length + ")";
        }
    }

    /**
     * A non-empty range of a disk of {@code size} bytes: across an allocation-unit boundary, up to
     * the end of the disk, on the sector grid or anywhere, each short (at most
     * {@value #SHORT_REQUEST} bytes, so that large units keep the checks quick); or, one time in
     * eight, a long one over up to three whole units.
     */
    private Range randomRange(Random random, int size) {
        int unit = granularity();
        int shortest = (int) Math.min(size, Math.min(3L * unit, SHORT_REQUEST));
        int boundaries = (size - 1) / unit;
        switch (random.nextInt(8)) {
            case 0:
            case 1:
                if (boundaries > 0) {
                    int boundary = unit * (1 + random.nextInt(boundaries));
                    int side = Math.min(unit, SHORT_REQUEST / 2);
                    int before = 1 + random.nextInt(Math.min(boundary, side));
                    int after = 1 + random.nextInt(Math.min(size - boundary, side));
                    return new Range(boundary - before, before + after);
                }
                return randomRange(random, size);
            case 2:
            case 3: {
                int length = 1 + random.nextInt(shortest);
                return new Range(size - length, length);
            }
            case 4:
                if (size >= SECTOR) {
                    int offset = SECTOR * random.nextInt(size / SECTOR);
                    int sectors = Math.max(1, Math.min(shortest, size - offset) / SECTOR);
                    return new Range(offset, SECTOR * (1 + random.nextInt(sectors)));
                }
                return randomRange(random, size);
            case 5: {
                int offset = random.nextInt(size);
                long longest = Math.min(3L * unit, size - offset);
                return new Range(offset, 1 + random.nextInt((int) longest));
            }
            default: {
                int offset = random.nextInt(size);
                return new Range(offset, 1 + random.nextInt(Math.min(shortest, size - offset)));
            }
        }
    }

    private Range randomRangeWithin(Random random, Range region) {
        Range inside = randomRange(random, region.length);
        return new Range(region.offset + inside.offset, inside.length);
    }

    private void writeRandomRounds(Random random, BlockImage image, byte[] model) throws IOException {
        for (int round = 0; round < RANDOM_ROUNDS / 5; round++) {
            writeRandom(random, image, model, randomRange(random, model.length));
        }
    }

    /** Writes random bytes over {@code range} and records them in the model. */
    private static void writeRandom(Random random, BlockImage image, byte[] model, Range range) throws IOException {
        byte[] data = randomBytes(random, range.length);
        ByteBuffer src = placed(random, bufferOf(random, range.length).put(data).flip());
        image.write(range.offset, src);
        assertFalse(src.hasRemaining(), () -> "write " + range + " left bytes of its buffer unwritten");
        System.arraycopy(data, 0, model, range.start(), range.length);
    }

    /** Reads {@code length} bytes at {@code offset} through a buffer of a random kind. */
    private static byte[] readBytes(BlockImage image, long offset, int length, Random random) throws IOException {
        ByteBuffer dst = placed(random, bufferOf(random, length));
        image.read(offset, dst);
        assertFalse(dst.hasRemaining(), () -> "read [" + offset + ", +" + length + ") left its buffer unfilled");
        dst.flip();
        byte[] bytes = new byte[length];
        dst.get(bytes);
        return bytes;
    }

    /** A heap or direct buffer of {@code length} bytes: drivers must not assume either kind. */
    private static ByteBuffer bufferOf(Random random, int length) {
        return random.nextBoolean() ? ByteBuffer.allocate(length) : ByteBuffer.allocateDirect(length);
    }

    /**
     * The same remaining bytes, sometimes as a slice that starts inside a larger heap array, so that
     * a driver which ignores a buffer's position or array offset is caught.
     */
    private static ByteBuffer placed(Random random, ByteBuffer content) {
        if (!random.nextBoolean()) {
            return content;
        }
        int lead = 1 + random.nextInt(SECTOR);
        ByteBuffer larger = ByteBuffer.allocate(lead + content.remaining() + lead);
        larger.position(lead);
        larger.put(content.duplicate());
        return larger.flip().position(lead).slice().position(0);
    }

    private void assertReads(byte[] model, BlockImage image, Range range, Random random, String what)
            throws IOException {
        assertMatchesModel(model, range.offset, readBytes(image, range.offset, range.length, random), what);
    }

    /** Reads the whole image in pieces and compares every byte with the model. */
    private void assertImageIs(byte[] model, BlockImage image, String what) throws IOException {
        assertEquals(model.length, image.size(), what + ": virtual size");
        ByteBuffer chunk = ByteBuffer.allocate(READ_CHUNK);
        for (int at = 0; at < model.length; at += READ_CHUNK) {
            int length = Math.min(READ_CHUNK, model.length - at);
            image.read(at, chunk.clear().limit(length));
            assertMatchesModel(model, at, Arrays.copyOf(chunk.array(), length), what);
        }
    }

    private void assertMatchesModel(byte[] model, long offset, byte[] actual, String what) {
        int from = (int) offset;
        int mismatch = Arrays.mismatch(model, from, from + actual.length, actual, 0, actual.length);
        if (mismatch >= 0) {
            fail(what + ": the byte at offset " + (offset + mismatch) + " is " + hex(actual[mismatch])
                    + ", expected " + hex(model[from + mismatch]) + " [" + reproduce() + "]");
        }
    }

    /** The extents must cover the range in order with no gap, and every zero extent must read as zeros. */
    private void assertStatusCovers(byte[] model, Range range, List<Extent> extents) {
        String what = "blockStatus" + range + " = " + extents;
        assertFalse(extents.isEmpty(), what + ": no extents for a non-empty range");
        long next = range.offset;
        for (Extent extent : extents) {
            assertEquals(next, extent.start(), what + ": extents must follow each other without gaps");
            if (extent.zero()) {
                int start = (int) extent.start();
                int end = (int) extent.end();
                int nonZero = Arrays.mismatch(model, start, end, new byte[end - start], 0, end - start);
                long at = extent.start() + nonZero;
                assertTrue(nonZero < 0, () -> what + ": " + extent + " says zero, but the byte at " + at
                        + " is not [" + reproduce() + "]");
            }
            next = extent.end();
        }
        assertEquals(range.offset + range.length, next, what + ": extents must end where the range ends");
    }

    /** What was refused must not have reached the storage, not even as metadata. */
    private void assertStoredBytesUnchanged(byte[] before, ImageStore store, String after) throws IOException {
        assertArrayEquals(before, store.bytes(), "the stored bytes changed after " + after + " [" + reproduce() + "]");
    }

    /** Each call must fail with {@code type} and a message: the image refuses it clearly. */
    private static void assertEachRefused(Class<? extends Exception> type, Map<String, Executable> calls) {
        for (Map.Entry<String, Executable> call : calls.entrySet()) {
            Exception refused = assertThrows(type, call.getValue(),
                    () -> call.getKey() + " must be refused with " + type.getSimpleName());
            assertTrue(refused.getMessage() != null && !refused.getMessage().isBlank(),
                    () -> "the error for " + call.getKey() + " has no message");
        }
    }

    private static ByteBuffer filled(int length, int value) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) value);
        return ByteBuffer.wrap(bytes);
    }

    private static byte[] randomBytes(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    private static String hex(byte value) {
        return String.format("0x%02x", value & 0xff);
    }

    private Random random() {
        return new Random(seed);
    }

    /** @return how to repeat this run, for failure messages */
    private String reproduce() {
        return "seed " + seed + "; repeat with -D" + SEED_PROPERTY + "=" + seed;
    }
}

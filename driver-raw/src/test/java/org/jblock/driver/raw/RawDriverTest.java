package org.jblock.driver.raw;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;

import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.Extent;
import org.jblock.api.ImageInfo;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.InvalidRequestException;
import org.jblock.protocol.file.LocalBlockFile;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.OptionSpec;
import org.jblock.api.Options;
import org.jblock.api.ReadOnlyImageException;
import org.jblock.api.UnsupportedFeatureException;
import org.jblock.api.spi.CreateRequest;
import org.jblock.api.spi.OpenRequest;
import org.jblock.api.spi.ProbeInput;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RawDriverTest {
    private static final long MIB = 1 << 20;
    private final RawDriver driver = new RawDriver();

    @TempDir
    Path dir;

    private static byte[] random(int length, int seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** @return the bytes the file occupies on disk, as {@code stat} reports them (the JDK has no attribute for it) */
    private static long allocatedBytes(Path path) throws IOException, InterruptedException {
        Process stat = new ProcessBuilder("stat", "-c", "%b %B", path.toString()).redirectErrorStream(true).start();
        String out = new String(stat.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        Assumptions.assumeTrue(stat.waitFor() == 0, "stat -c '%b %B' is not available here: " + out);
        String[] blocksAndUnit = out.split(" ");
        return Long.parseLong(blocksAndUnit[0]) * Long.parseLong(blocksAndUnit[1]);
    }

    private Path create(String name, long size, String options) throws IOException {
        Path path = dir.resolve(name);
        try (LocalBlockFile file = LocalBlockFile.create(path)) {
            driver.create(new CreateRequest(file, size, Options.parse(options, driver.createOptions())));
        }
        return path;
    }

    private BlockImage open(Path path, boolean readOnly) throws IOException {
        return driver.open(new OpenRequest(LocalBlockFile.open(path, readOnly), readOnly, Options.EMPTY));
    }

    @Test
    void probes_every_input_at_one_the_fallback_score() {
        byte[] vhdFooter = Arrays.copyOf("conectix".getBytes(StandardCharsets.US_ASCII), 512);
        for (ProbeInput input : List.of(
                ProbeInput.of(new byte[0], ""),
                ProbeInput.of(new byte[1 << 20], "zeros.img"),
                ProbeInput.of(random(5000, 1), "random.bin"),
                ProbeInput.of(vhdFooter, "disk.vhd"))) {
            assertEquals(1, driver.probe(input), "probe of " + input.fileName());
        }
    }

    @Test
    void describes_itself_and_its_create_options() {
        assertEquals("raw", driver.name());
        assertEquals("raw disk image: the file is the disk", driver.description());
        OptionSpec<?> preallocation = driver.createOptions().get(0);
        assertEquals("preallocation", preallocation.name());
        assertEquals(List.of("off", "full"), preallocation.choices());
        assertEquals("off", preallocation.defaultValue());
        assertEquals(List.of("offset", "size"), driver.openOptions().stream().map(OptionSpec::name).toList());
    }

    private BlockImage openWindow(Path path, boolean readOnly, String options) throws IOException {
        return driver.open(new OpenRequest(LocalBlockFile.open(path, readOnly), readOnly,
                Options.parse(options, driver.openOptions())));
    }

    /** A 4 MiB file: 1 MiB of 0x11, 1 MiB of 0x22, then 2 MiB never written. */
    private Path partitioned() throws IOException {
        Path path = create("disk.img", 4 * MIB, "");
        try (BlockImage image = open(path, false)) {
            image.write(0, ByteBuffer.wrap(filled(MIB, 0x11)));
            image.write(MIB, ByteBuffer.wrap(filled(MIB, 0x22)));
        }
        return path;
    }

    private static byte[] filled(long length, int value) {
        byte[] bytes = new byte[(int) length];
        Arrays.fill(bytes, (byte) value);
        return bytes;
    }

    @Test
    void offset_and_size_make_the_disk_a_window_of_the_file() throws Exception {
        Path path = partitioned();
        try (BlockImage image = openWindow(path, false, "offset=1M,size=2M")) {
            assertEquals(2 * MIB, image.size());
            ByteBuffer first = ByteBuffer.allocate((int) MIB);
            image.read(0, first);
            assertArrayEquals(filled(MIB, 0x22), first.array());
            // Writes land at the offset, and nothing may pass the window's end.
            image.write(MIB, ByteBuffer.wrap(filled(4096, 0x33)));
            assertThrows(InvalidRequestException.class, () -> image.write(2 * MIB - 512, ByteBuffer.allocate(1024)));
        }
        byte[] file = Files.readAllBytes(path);
        assertEquals(4 * MIB, file.length);
        assertArrayEquals(filled(4096, 0x33), Arrays.copyOfRange(file, (int) (2 * MIB), (int) (2 * MIB) + 4096));
        assertEquals(0, file[(int) (2 * MIB) + 4096]);
    }

    @Test
    void an_offset_alone_runs_to_the_end_of_the_file() throws Exception {
        Path path = partitioned();
        try (BlockImage image = openWindow(path, true, "offset=0x100000")) {
            assertEquals(3 * MIB, image.size());
            ByteBuffer last = ByteBuffer.allocate(512);
            image.read(3 * MIB - 512, last);
            assertArrayEquals(new byte[512], last.array());
        }
    }

    @Test
    void block_status_is_told_in_disk_offsets_and_points_into_the_file() throws Exception {
        Path path = partitioned();
        try (BlockImage image = openWindow(path, true, "offset=1M,size=2M")) {
            List<Extent> extents = image.blockStatus(0, image.size());
            assertEquals(0, extents.get(0).start());
            assertTrue(extents.get(0).data());
            assertEquals(OptionalLong.of(MIB), extents.get(0).hostOffset());
            assertEquals(image.size(), extents.stream().mapToLong(Extent::length).sum());
            Extent last = extents.get(extents.size() - 1);
            assertEquals(2 * MIB, last.start() + last.length());
        }
    }

    @Test
    void a_window_that_does_not_fit_the_file_is_refused_in_qemus_words() throws Exception {
        Path path = partitioned();
        assertEquals("Offset (5242880) cannot be greater than size of the containing file (4194304)",
                assertThrows(InvalidOptionException.class, () -> openWindow(path, true, "offset=5M,size=1000"))
                        .getMessage());
        assertEquals("The sum of offset (1048576) and size (3145729) has to be smaller or equal to the  actual size"
                        + " of the containing file (4194304)",
                assertThrows(InvalidOptionException.class, () -> openWindow(path, true, "offset=1M,size=3145729"))
                        .getMessage());
        assertEquals("Specified size is not multiple of 512",
                assertThrows(InvalidOptionException.class, () -> openWindow(path, true, "offset=3M,size=1000"))
                        .getMessage());
    }

    @Test
    void a_window_of_a_given_size_cannot_be_resized_but_one_with_an_offset_alone_can() throws Exception {
        Path path = partitioned();
        try (BlockImage image = openWindow(path, false, "offset=1M,size=2M")) {
            assertEquals("Cannot resize fixed-size raw disks",
                    assertThrows(UnsupportedFeatureException.class, () -> image.resize(3 * MIB)).getMessage());
        }
        try (BlockImage image = openWindow(path, false, "offset=1M")) {
            image.resize(5 * MIB);
            assertEquals(5 * MIB, image.size());
        }
        assertEquals(6 * MIB, Files.size(path));
    }

    @Test
    void creates_a_sparse_file_of_the_size_asked() throws Exception {
        Path path = create("sparse.img", 1L << 30, "");

        assertEquals(1L << 30, Files.size(path));
        long used = allocatedBytes(path);
        assertTrue(used < MIB, "a new 1 GiB raw image occupies " + used + " bytes");
        try (BlockImage image = open(path, true)) {
            assertEquals(1L << 30, image.size());
            ByteBuffer somewhere = ByteBuffer.allocate(4096);
            image.read(123 * MIB + 7, somewhere);
            assertArrayEquals(new byte[4096], somewhere.array());
        }
    }

    @Test
    void preallocation_full_writes_every_byte() throws Exception {
        long size = 5 * MIB + 512;
        Path path = create("full.img", size, "preallocation=full");

        assertEquals(size, Files.size(path));
        assertTrue(allocatedBytes(path) >= size, "a fully preallocated image occupies its size");
        assertArrayEquals(new byte[(int) size], Files.readAllBytes(path));
    }

    @Test
    void refuses_a_negative_size_and_an_unknown_preallocation() throws Exception {
        InvalidOptionException negative = assertThrows(InvalidOptionException.class,
                () -> driver.create(new CreateRequest(new MemoryBlockFile(), -1, Options.EMPTY)));
        assertEquals("Invalid image size -1: it must be between 0 and 9223372036854775807 bytes",
                negative.getMessage());
        InvalidOptionException prealloc = assertThrows(InvalidOptionException.class,
                () -> Options.parse("preallocation=falloc", driver.createOptions()));
        assertEquals("Invalid value 'falloc' for option 'preallocation': expected one of off, full",
                prealloc.getMessage());
    }

    @Test
    void maps_every_byte_of_the_disk_to_the_same_byte_of_the_file() throws Exception {
        byte[] content = random(3 * (int) MIB, 2);
        Path path = dir.resolve("identity.img");
        Files.write(path, content);
        byte[] written = random(70_000, 3);

        try (BlockImage image = open(path, false)) {
            ByteBuffer middle = ByteBuffer.allocate(100_000);
            image.read(MIB - 13, middle);
            assertArrayEquals(Arrays.copyOfRange(content, (int) MIB - 13, (int) MIB - 13 + 100_000), middle.array());

            image.write(2 * MIB + 1, ByteBuffer.wrap(written));
        }
        System.arraycopy(written, 0, content, 2 * (int) MIB + 1, written.length);
        assertArrayEquals(content, Files.readAllBytes(path));
    }

    @Test
    void refuses_requests_beyond_the_end() throws Exception {
        Path path = create("small.img", MIB, "");
        try (BlockImage image = open(path, false)) {
            assertThrows(InvalidRequestException.class, () -> image.read(MIB - 1, ByteBuffer.allocate(2)));
            assertThrows(InvalidRequestException.class, () -> image.write(MIB, ByteBuffer.allocate(1)));
        }
        assertEquals(MIB, Files.size(path), "a refused write does not grow the file");
    }

    @Test
    void a_read_only_image_refuses_writes() throws Exception {
        Path path = create("ro.img", MIB, "");
        try (BlockImage image = open(path, true)) {
            assertThrows(ReadOnlyImageException.class, () -> image.write(0, ByteBuffer.allocate(1)));
            assertThrows(ReadOnlyImageException.class, () -> image.resize(2 * MIB));
        }
        assertEquals(MIB, Files.size(path));
    }

    @Test
    void resize_grows_with_zeros_and_shrinks_keeping_the_head() throws Exception {
        byte[] content = random(2 * (int) MIB, 4);
        Path path = dir.resolve("resize.img");
        Files.write(path, content);

        try (BlockImage image = open(path, false)) {
            image.resize(3 * MIB);
            assertEquals(3 * MIB, image.size());
            ByteBuffer grown = ByteBuffer.allocate((int) MIB);
            image.read(2 * MIB, grown);
            assertArrayEquals(new byte[(int) MIB], grown.array());

            image.resize(MIB + 5);
            assertEquals(MIB + 5, image.size());
            assertThrows(InvalidRequestException.class, () -> image.read(MIB, ByteBuffer.allocate(6)));
        }
        assertArrayEquals(Arrays.copyOf(content, (int) MIB + 5), Files.readAllBytes(path));
    }

    @Test
    void block_status_of_a_local_file_is_data_mapped_at_the_same_offset() throws Exception {
        Path path = create("map.img", 4 * MIB, "");
        try (BlockImage image = open(path, false)) {
            image.write(MIB, ByteBuffer.wrap(new byte[(int) (2 * MIB)]));
            image.flush();
            // written (even zeros): data wherever holes are known (JDK 22+) and where they are not
            assertEquals(List.of(Extent.data(MIB, 2 * MIB, MIB)), image.blockStatus(MIB, 2 * MIB));
        }
    }

    @Test
    void block_status_reports_zeros_only_where_the_storage_knows_of_a_hole() throws Exception {
        long page = 1 << 16;
        MemoryBlockFile file = new MemoryBlockFile("sparse");
        driver.create(new CreateRequest(file, 16 * page, Options.EMPTY));
        file.write(ByteBuffer.wrap(new byte[] {1}), 5 * page + 9);

        try (BlockImage image = driver.open(new OpenRequest(file, false, Options.EMPTY))) {
            assertEquals(List.of(
                    new Extent(page, 4 * page, false, true, true, OptionalLong.of(page)),
                    Extent.data(5 * page, page, 5 * page),
                    new Extent(6 * page, 4 * page, false, true, true, OptionalLong.of(6 * page))),
                    image.blockStatus(page, 9 * page));
            image.write(7 * page, ByteBuffer.wrap(new byte[] {2}));
            assertEquals(Extent.data(7 * page, page, 7 * page), image.blockStatus(7 * page, page).get(0));
        }
    }

    @Test
    void a_storage_whose_hole_report_does_not_move_on_is_reported_as_data() throws Exception {
        BlockFile stuck = new org.jblock.api.spi.support.DelegatingBlockFile(MemoryBlockFile.of("stuck", new byte[4096])) {
            @Override
            public long seekHole(long position) {
                return position;
            }
        };
        try (BlockImage image = driver.open(new OpenRequest(stuck, true, Options.EMPTY))) {
            assertEquals(List.of(Extent.data(0, 4096, 0)), image.blockStatus(0, 4096));
        }
    }

    @Test
    void says_what_it_is() throws Exception {
        Path path = create("info.img", 3 * MIB, "");
        try (BlockImage image = open(path, true)) {
            assertEquals(new ImageInfo("raw", 3 * MIB, 0, Map.of()), image.info());
            assertEquals(path.toString(), image.name());
        }
    }

    @Test
    void a_discard_reaches_the_storage_at_the_window_s_offset() throws IOException {
        List<String> discards = new java.util.ArrayList<>();
        MemoryBlockFile memory = new MemoryBlockFile("disk");
        memory.truncate(4 * MIB);
        BlockFile storage = new org.jblock.api.spi.support.DelegatingBlockFile(memory) {
            @Override
            public void discard(long offset, long length) throws IOException {
                discards.add(offset + "+" + length);
                super.discard(offset, length);
            }
        };
        try (BlockImage image = driver.open(new OpenRequest(storage, false,
                Options.parse("offset=1M,size=2M", driver.openOptions())))) {
            image.discard(4096, 8192);
        }
        assertEquals(List.of((MIB + 4096) + "+8192"), discards);
    }
}

package org.jblock.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.OptionSpec;
import org.jblock.api.UnsupportedFeatureException;
import org.jblock.api.spi.BlockProtocol;
import org.jblock.api.spi.ProtocolRequest;
import org.jblock.api.spi.support.DelegatingBlockFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** QEMU's cache modes and {@code cache.*} options: which flushes reach the storage. */
class CacheModeTest {
    @TempDir
    Path dir;

    /** Storage in memory that counts the writes and flushes that reach it: {@code driver=counted}. */
    static final class Counted implements BlockProtocol {
        static final OptionSpec<String> NAME = OptionSpec.string("name", "disk", "unused");
        final MemoryBlockFile content;
        final AtomicInteger writes = new AtomicInteger();
        final AtomicInteger flushes = new AtomicInteger();

        Counted(int size) throws IOException {
            content = MemoryBlockFile.of("counted", new byte[size]);
        }

        @Override
        public String name() {
            return "counted";
        }

        @Override
        public List<OptionSpec<?>> openOptions() {
            return List.of(NAME);
        }

        @Override
        public BlockFile open(ProtocolRequest request) {
            return new DelegatingBlockFile(content.reopen(request.readOnly())) {
                @Override
                public void write(ByteBuffer src, long position) throws IOException {
                    writes.incrementAndGet();
                    super.write(src, position);
                }

                @Override
                public void flush() throws IOException {
                    flushes.incrementAndGet();
                    super.flush();
                }
            };
        }
    }

    private final Counted counted = new Counted(1 << 20);

    CacheModeTest() throws IOException {
    }

    private DriverRegistry registry() {
        return DriverRegistry.of(List.of(TestDrivers.raw()),
                List.of(new org.jblock.protocol.file.FileProtocol(), counted));
    }

    private static Map<String, String> options(String... pairs) {
        Map<String, String> map = new LinkedHashMap<>();
        map.put("driver", "raw");
        map.put("file.driver", "counted");
        for (int i = 0; i < pairs.length; i += 2) {
            map.put(pairs[i], pairs[i + 1]);
        }
        return map;
    }

    /** Writes three runs, flushes and closes; the data must arrive whatever the mode. */
    private void writeThreeAndFlush(BlockImage image) throws IOException {
        for (int k = 0; k < 3; k++) {
            image.write(k * 4096L, ByteBuffer.wrap(new byte[] {(byte) (k + 1), 7, 7, 7}));
        }
        image.flush();
        image.close();
        byte[] first = new byte[4];
        counted.content.readFully(ByteBuffer.wrap(first), 8192);
        assertArrayEquals(new byte[] {3, 7, 7, 7}, first);
    }

    @Test
    void writeback_passes_the_flush_to_the_storage() throws Exception {
        writeThreeAndFlush(registry().open(options(), OpenSpec.readWrite()));
        assertTrue(counted.flushes.get() >= 1, "flushes: " + counted.flushes);
    }

    @Test
    void unsafe_keeps_every_flush_from_the_storage() throws Exception {
        writeThreeAndFlush(registry().open(options(), OpenSpec.readWrite().withCache(CacheMode.UNSAFE)));
        assertEquals(3, counted.writes.get());
        assertEquals(0, counted.flushes.get());
    }

    @Test
    void cache_no_flush_in_the_options_works_as_unsafe_does() throws Exception {
        writeThreeAndFlush(registry().open(options("cache.no-flush", "on"), OpenSpec.readWrite()));
        assertEquals(0, counted.flushes.get());
    }

    @Test
    void cache_no_flush_of_the_storage_alone_works_too() throws Exception {
        writeThreeAndFlush(registry().open(options("file.cache.no-flush", "on"), OpenSpec.readWrite()));
        assertEquals(0, counted.flushes.get());
    }

    @Test
    void an_option_in_the_image_options_wins_over_the_mode() throws Exception {
        writeThreeAndFlush(registry().open(options("cache.no-flush", "off"),
                OpenSpec.readWrite().withCache(CacheMode.UNSAFE)));
        assertTrue(counted.flushes.get() >= 1, "flushes: " + counted.flushes);
    }

    @Test
    void json_filenames_take_the_cache_options() throws Exception {
        writeThreeAndFlush(registry().open("json:{\"driver\": \"raw\", \"cache\": {\"no-flush\": true},"
                + " \"file\": {\"driver\": \"counted\"}}", OpenSpec.readWrite()));
        assertEquals(0, counted.flushes.get());
    }

    @Test
    void writethrough_flushes_after_each_write() throws Exception {
        writeThreeAndFlush(registry().open(options(), OpenSpec.readWrite().withCache(CacheMode.WRITETHROUGH)));
        assertTrue(counted.flushes.get() >= 4, "three writes and a flush: " + counted.flushes);
    }

    @Test
    void a_cache_option_that_is_not_on_or_off_is_refused() {
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> registry().open(options("cache.no-flush", "maybe"), OpenSpec.readWrite()));
        assertTrue(e.getMessage().contains("cache.no-flush"), e.getMessage());
    }

    @Test
    void the_modes_are_qemus() throws Exception {
        assertEquals(CacheMode.NONE, CacheMode.parse("off"));
        for (CacheMode mode : CacheMode.values()) {
            assertEquals(mode, CacheMode.parse(mode.modeName()));
        }
        assertTrue(CacheMode.UNSAFE.noFlush() && !CacheMode.UNSAFE.direct() && !CacheMode.UNSAFE.writethrough());
        assertTrue(CacheMode.DIRECTSYNC.direct() && CacheMode.DIRECTSYNC.writethrough());
        assertEquals("Invalid cache option: fast", assertThrows(InvalidOptionException.class,
                () -> CacheMode.parse("fast")).getMessage());
    }

    /** Storage that honours {@code cache.direct}, as a local file does: records what each open was given. */
    static final class DirectAware implements BlockProtocol {
        final MemoryBlockFile content;
        final List<Boolean> given = new java.util.ArrayList<>();

        DirectAware() throws IOException {
            content = MemoryBlockFile.of("direct-aware", new byte[1 << 20]);
        }

        @Override
        public String name() {
            return "direct-aware";
        }

        @Override
        public List<OptionSpec<?>> openOptions() {
            return List.of(DIRECT);
        }

        @Override
        public BlockFile open(ProtocolRequest request) {
            given.add(request.options().get(DIRECT));
            return content.reopen(request.readOnly());
        }
    }

    private List<Boolean> directGiven(OpenSpec spec, String... pairs) throws IOException {
        DirectAware aware = new DirectAware();
        Map<String, String> map = options(pairs);
        map.put("file.driver", aware.name());
        try (BlockImage image = DriverRegistry.of(List.of(TestDrivers.raw()), List.of(aware)).open(map, spec)) {
            image.write(0, ByteBuffer.wrap(new byte[] {1}));
        }
        return aware.given;
    }

    @Test
    void a_protocol_that_takes_cache_direct_gets_the_nodes_value() throws Exception {
        assertEquals(List.of(true), directGiven(OpenSpec.readWrite().withCache(CacheMode.NONE)));
        assertEquals(List.of(true), directGiven(OpenSpec.readWrite().withCache(CacheMode.DIRECTSYNC)));
        assertEquals(List.of(false), directGiven(OpenSpec.readWrite()));
        assertEquals(List.of(false), directGiven(OpenSpec.readWrite().withCache(CacheMode.UNSAFE)));
        assertEquals(List.of(true), directGiven(OpenSpec.readWrite(), "cache.direct", "on"));
        assertEquals(List.of(true), directGiven(OpenSpec.readWrite(), "file.cache.direct", "on"));
        assertEquals(List.of(false), directGiven(OpenSpec.readWrite().withCache(CacheMode.NONE), "file.cache.direct", "off"));
    }

    @Test
    void direct_on_a_local_file_reads_and_writes_it() throws Exception {
        Path file = dir.resolve("disk.raw");
        Files.write(file, new byte[4096]);
        try (BlockImage image = registry().open(file.toString(), OpenSpec.readWrite().withFormat("raw")
                .withCache(CacheMode.DIRECTSYNC))) {
            image.write(13, ByteBuffer.wrap(new byte[] {5, 6, 7}));
            ByteBuffer back = ByteBuffer.allocate(5);
            image.read(12, back);
            assertArrayEquals(new byte[] {0, 5, 6, 7, 0}, back.array());
        }
        assertEquals(6, Files.readAllBytes(file)[14]);
    }

    @Test
    void direct_on_a_file_system_without_o_direct_is_refused_with_qemus_words() throws Exception {
        Path proc = Path.of("/proc/version");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(proc), "needs Linux's /proc");
        UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class,
                () -> registry().open(proc.toString(), OpenSpec.readOnlySpec().withFormat("raw")
                        .withCache(CacheMode.NONE)));
        assertEquals("Could not open '/proc/version': filesystem does not support O_DIRECT", e.getMessage());
        Map<String, String> map = new LinkedHashMap<>();
        map.put("driver", "raw");
        map.put("cache.direct", "on");
        map.put("file.filename", proc.toString());
        assertThrows(UnsupportedFeatureException.class, () -> registry().open(map, OpenSpec.readOnlySpec()));
    }

    @Test
    void direct_elsewhere_changes_nothing() throws Exception {
        writeThreeAndFlush(registry().open(options("cache.direct", "on"), OpenSpec.readWrite()));
        assertTrue(counted.flushes.get() >= 1);
    }
}

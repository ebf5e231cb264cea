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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.OptionSpec;
import org.jblock.api.spi.BlockDriver;
import org.jblock.api.spi.BlockProtocol;
import org.jblock.api.spi.ProtocolRequest;
import org.jblock.api.spi.support.DelegatingBlockFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Names and options to protocols: QEMU's filename rules, driver=, filters and their children. */
class DriverRegistryProtocolTest {
    private static final BlockDriver RAW = TestDrivers.raw();

    @RegisterExtension
    final RegistryLog log = new RegistryLog();

    @TempDir
    Path dir;

    /** A protocol of named memory files: {@code mem:NAME}, or {@code driver=mem,name=NAME}. */
    static class Mem implements BlockProtocol {
        static final OptionSpec<String> NAME = OptionSpec.string("name", null, "which memory file");
        final Map<String, MemoryBlockFile> files = new ConcurrentHashMap<>();

        @Override
        public String name() {
            return "mem";
        }

        @Override
        public Map<String, String> parseFilename(String filename) throws InvalidOptionException {
            if (!filename.startsWith("mem:")) {
                throw new InvalidOptionException("File name string for mem must start with 'mem:'");
            }
            return Map.of("name", filename.substring("mem:".length()));
        }

        @Override
        public List<OptionSpec<?>> openOptions() {
            return List.of(NAME);
        }

        @Override
        public BlockFile open(ProtocolRequest request) throws IOException {
            MemoryBlockFile file = files.get(request.options().get(NAME));
            if (file == null) {
                throw new java.nio.file.NoSuchFileException("mem:" + request.options().get(NAME));
            }
            return file.reopen(request.readOnly());
        }
    }

    /** A filter that counts the reads of its child {@code image}. */
    static final class Counting implements BlockProtocol {
        final AtomicInteger reads = new AtomicInteger();

        @Override
        public String name() {
            return "counting";
        }

        @Override
        public Set<String> prefixes() {
            return Set.of();
        }

        @Override
        public Set<String> children() {
            return Set.of("image");
        }

        @Override
        public BlockFile open(ProtocolRequest request) throws IOException {
            return new DelegatingBlockFile(request.child("image")) {
                @Override
                public int read(ByteBuffer dst, long position) throws IOException {
                    reads.incrementAndGet();
                    return super.read(dst, position);
                }
            };
        }
    }

    private final Mem mem = new Mem();
    private final Counting counting = new Counting();

    private DriverRegistry registry() {
        return DriverRegistry.of(List.of(RAW), List.of(new org.jblock.protocol.file.FileProtocol(), mem, counting));
    }

    private static byte[] read(BlockImage image, int length) throws IOException {
        byte[] bytes = new byte[length];
        image.read(0, ByteBuffer.wrap(bytes));
        return bytes;
    }

    /** A protocol that keeps the hints it gets, or fails them. */
    static final class Preparing extends Mem {
        final String name;
        final boolean fails;
        final List<Map<String, String>> prepared = new java.util.concurrent.CopyOnWriteArrayList<>();

        Preparing(String name, boolean fails) {
            this.name = name;
            this.fails = fails;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Set<String> prefixes() {
            return Set.of(name);
        }

        @Override
        public Map<String, String> parseFilename(String filename) {
            return Map.of("name", filename.substring(name.length() + 1));
        }

        @Override
        public void prepare(Map<String, String> options) {
            prepared.add(options);
            if (fails) {
                throw new IllegalStateException("cannot get ready");
            }
        }
    }

    /**
     * The protocol of each name gets the hint with what the name stands for; what names no storage
     * (an option, an unknown prefix) is passed over, and a hint that fails leaves its protocol working.
     */
    @Test
    void the_protocol_of_each_name_gets_the_hint_that_opens_follow_and_one_that_fails_it_still_opens() throws Exception {
        Preparing failing = new Preparing("failing", true);
        Preparing willing = new Preparing("willing", false);
        failing.files.put("disk", MemoryBlockFile.of("disk", new byte[] {7, 8}));
        DriverRegistry registry = DriverRegistry.of(List.of(RAW), List.of(failing, willing));
        registry.prepareProtocols(List.of("-f", "failing:disk", "unknown:thing", "willing:a", "willing:b", "8M"));
        assertEquals(List.of(Map.of("driver", "failing", "name", "disk")), failing.prepared);
        assertEquals(List.of(Map.of("driver", "willing", "name", "a"), Map.of("driver", "willing", "name", "b")),
                willing.prepared);
        try (BlockImage image = registry.open(Map.of("driver", "failing", "name", "disk"), OpenSpec.readOnlySpec())) {
            assertArrayEquals(new byte[] {7, 8}, read(image, 2));
        }
    }

    @Test
    void a_filename_with_a_claimed_prefix_goes_to_its_protocol() throws Exception {
        mem.files.put("disk", MemoryBlockFile.of("disk", new byte[] {1, 2, 3, 4}));
        try (BlockImage image = registry().open("mem:disk", OpenSpec.readOnlySpec().withFormat("raw"))) {
            assertArrayEquals(new byte[] {1, 2, 3, 4}, read(image, 4));
        }
    }

    @Test
    void a_prefix_nobody_claims_is_an_unknown_protocol_and_a_slash_before_the_colon_makes_a_path() throws Exception {
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> registry().open("vpc:x.vhd", OpenSpec.readOnlySpec()));
        assertEquals("Unknown protocol 'vpc'", e.getMessage());
        assertEquals("Unknown protocol ''", assertThrows(InvalidOptionException.class,
                () -> registry().open(":x.vhd", OpenSpec.readOnlySpec())).getMessage());

        Path colon = dir.resolve("a:b.img");
        Files.write(colon, new byte[] {9, 8});
        try (BlockImage image = registry().open(colon.toString(), OpenSpec.readOnlySpec().withFormat("raw"))) {
            assertArrayEquals(new byte[] {9, 8}, read(image, 2));
        }
    }

    @Test
    void file_colon_escapes_a_name_whose_first_colon_comes_before_any_slash() {
        assertEquals("a", Protocols.prefixOf("a:b.img"));
        assertEquals("file", Protocols.prefixOf("file:a:b.img"));
        assertEquals(null, Protocols.prefixOf("./a:b.img"));
        assertEquals("nbd+unix", Protocols.prefixOf("nbd+unix:///x?socket=/s"));
        assertEquals(null, Protocols.prefixOf("disk.vhd"));
    }

    @Test
    void file_prefix_opens_the_file_named_after_it() throws Exception {
        Path colon = dir.resolve("c:d.img");
        Files.write(colon, new byte[] {5});
        try (BlockFile file = registry().openFile("file:" + colon, true, BlockFile.LockMode.SHARED)) {
            assertEquals(colon.toAbsolutePath().toString(), file.location());
            assertEquals(1, file.size());
        }
    }

    @Test
    void an_empty_name_says_a_file_name_is_needed() {
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> registry().open("", OpenSpec.readOnlySpec()));
        assertEquals("The 'file' block driver requires a file name", e.getMessage());
    }

    @Test
    void options_name_the_format_and_its_file_with_qemu_keys() throws Exception {
        Path image = dir.resolve("x.img");
        Files.write(image, new byte[] {7, 7, 7});
        Map<String, String> options = new LinkedHashMap<>();
        options.put("driver", "raw");
        options.put("file.driver", "file");
        options.put("file.filename", image.toString());
        try (BlockImage opened = registry().open(options, OpenSpec.readOnlySpec())) {
            assertEquals("raw", opened.info().format());
            assertEquals(3, opened.size());
        }
        // file.filename alone is a local path, even with a colon: a prefix counts only in a filename.
        Path colon = dir.resolve("mem:y.img");
        Files.write(colon, new byte[] {1});
        try (BlockImage opened = registry().open(Map.of("file.filename", colon.toString()), OpenSpec.readOnlySpec())) {
            assertEquals(1, opened.size());
        }
    }

    @Test
    void a_protocol_as_the_driver_is_read_as_raw_and_named_as_its_format() throws Exception {
        mem.files.put("whole", MemoryBlockFile.of("whole", new byte[] {4, 5}));
        try (BlockImage image = registry().open(Map.of("driver", "mem", "name", "whole"), OpenSpec.readOnlySpec())) {
            assertEquals("mem", image.info().format(), "QEMU's info names a protocol node's driver as its format");
            assertArrayEquals(new byte[] {4, 5}, read(image, 2));
        }
    }

    @Test
    void options_without_a_file_or_with_a_key_nobody_takes_are_refused() {
        assertEquals("A block device must be specified for \"file\"", assertThrows(InvalidOptionException.class,
                () -> registry().open(Map.of("driver", "raw"), OpenSpec.readOnlySpec())).getMessage());
        InvalidOptionException e = assertThrows(InvalidOptionException.class, () -> registry().open(
                Map.of("driver", "raw", "file.driver", "mem", "file.name", "x", "file.bogus", "1"),
                OpenSpec.readOnlySpec()));
        assertTrue(e.getMessage().startsWith("Block protocol 'mem': Invalid parameter 'bogus'"), e.getMessage());
    }

    @Test
    void a_filter_opens_its_child_by_options_or_by_filename() throws Exception {
        mem.files.put("inner", MemoryBlockFile.of("inner", new byte[] {3, 1, 4}));
        Map<String, String> byOptions = Map.of("driver", "raw", "file.driver", "counting",
                "file.image.driver", "mem", "file.image.name", "inner");
        try (BlockImage image = registry().open(byOptions, OpenSpec.readOnlySpec())) {
            assertArrayEquals(new byte[] {3, 1, 4}, read(image, 3));
        }
        int afterOptions = counting.reads.get();
        assertTrue(afterOptions > 0, "the filter saw the reads");
        try (BlockImage image = registry().open(Map.of("file.driver", "counting", "file.image", "mem:inner"),
                OpenSpec.readOnlySpec().withFormat("raw"))) {
            assertArrayEquals(new byte[] {3, 1, 4}, read(image, 3));
        }
        assertTrue(counting.reads.get() > afterOptions);
        assertEquals("Block protocol 'counting' needs its child 'image' (give image.filename=... or image.driver=...)",
                assertThrows(InvalidOptionException.class, () -> registry().openFile(Map.of("driver", "counting"),
                        true, BlockFile.LockMode.SHARED)).getMessage());
    }

    @Test
    void protocols_that_break_the_rules_are_problems_and_the_others_work() throws Exception {
        BlockProtocol reservedName = new Mem() {
            @Override
            public String name() {
                return "file";
            }
        };
        BlockProtocol formatName = new Mem() {
            @Override
            public String name() {
                return "raw";
            }
        };
        BlockProtocol samePrefix = new Mem() {
            @Override
            public String name() {
                return "mem2";
            }

            @Override
            public Set<String> prefixes() {
                return Set.of("mem");
            }
        };
        BlockProtocol badName = new Mem() {
            @Override
            public String name() {
                return "Bad Name";
            }
        };
        BlockProtocol failing = new Mem() {
            @Override
            public String name() {
                throw new IllegalStateException("broken");
            }
        };
        DriverRegistry registry = DriverRegistry.of(List.of(RAW),
                List.of(mem, reservedName, formatName, samePrefix, badName, failing));
        assertEquals(List.of("mem"), registry.protocolNames());
        List<String> problems = registry.problems().stream().map(DriverProblem::message).collect(
                java.util.stream.Collectors.toList());
        assertEquals(5, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("the name 'file' is reserved for jblock's own protocol"), problems.get(0));
        assertTrue(problems.get(1).startsWith("the name 'raw' is already taken by a format"), problems.get(1));
        assertTrue(problems.get(2).startsWith("the prefix 'mem:' is already claimed by the protocol 'mem'"),
                problems.get(2));
        assertTrue(problems.get(3).startsWith("'Bad Name' is not a protocol name"), problems.get(3));
        assertTrue(problems.get(4).startsWith("the protocol's name() or prefixes() failed"), problems.get(4));

        mem.files.put("ok", MemoryBlockFile.of("ok", new byte[] {1}));
        try (BlockImage image = registry.open("mem:ok", OpenSpec.readOnlySpec().withFormat("raw"))) {
            assertEquals(1, image.size());
        }
    }

    @Test
    void the_file_protocol_is_found_by_service_loader() {
        assertTrue(DriverRegistry.load().protocolNames().contains("file"));
        assertTrue(DriverRegistry.of(RAW).protocolNames().contains("file"));
    }
}

package org.jblock.shell.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.jblock.api.BlockImage;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.UnsupportedFeatureException;
import org.jblock.registry.DriverRegistry;
import org.jblock.registry.OpenSpec;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * jblock-io against real qemu-io 7.2, case by case (see {@code transcripts/cases.txt}): both run the
 * same command line on identical copies of an image; after the timing filter their output and exit
 * status must be identical, and so must the images afterwards ({@code qemu-img compare}).
 *
 * <p>With qemu-io installed the comparison is live, and {@code -Djblock.transcripts.regenerate=true}
 * rewrites the checked-in transcripts from it. Without qemu-io, jblock-io is compared with the
 * checked-in transcripts (and images are made by jblock itself); in CI that is a failure, since CI
 * must run the live comparison. {@code -Djblock.transcripts.stored=true} picks that mode on purpose.
 */
class GoldenTranscriptTest {
    private static final Path EXPECTED = Path.of("src/test/resources/transcripts/expected");
    private static final boolean REGENERATE = Boolean.getBoolean("jblock.transcripts.regenerate");
    /** Compares with the checked-in transcripts even where qemu-io is installed (to try that mode). */
    private static final boolean STORED_ONLY = Boolean.getBoolean("jblock.transcripts.stored");
    private static final long TOOL_TIMEOUT_SECONDS = 120;

    @TempDir
    Path work;

    @TestFactory
    Stream<DynamicTest> jblock_io_prints_what_qemu_io_prints() throws IOException {
        boolean live = !STORED_ONLY && ExternalTools.available("qemu-io") && ExternalTools.available("qemu-img");
        if (!live && "true".equals(System.getenv("CI"))) {
            fail("qemu-io and qemu-img are required in CI for the live transcript comparison");
        }
        List<TranscriptCase> cases = TranscriptCase.load();
        assertTrue(cases.size() >= 60, "the suite needs at least 60 cases, has " + cases.size());
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            if (live) {
                compareLive(c);
            } else {
                compareWithStored(c);
            }
        }));
    }

    private void compareLive(TranscriptCase c) throws Exception {
        Path qemuDir = Files.createDirectories(work.resolve(c.name()).resolve("qemu"));
        Path jblockDir = Files.createDirectories(work.resolve(c.name()).resolve("jblock"));
        Path qemuImage = qemuDir.resolve(c.imageFileName());
        Path jblockImage = jblockDir.resolve(c.imageFileName());
        if (c.usesSample()) {
            decompressSample(c, qemuImage);
        } else {
            createWithQemuImg(c, qemuImage);
        }
        Files.copy(qemuImage, jblockImage);

        Transcript expected = runQemuIo(c, qemuDir);
        if (REGENERATE) {
            Files.createDirectories(EXPECTED);
            Files.writeString(EXPECTED.resolve(c.name() + ".txt"), expected.serialized());
        }
        assumeDriverWorks(c);
        assertSame(expected, runJblockIo(c, jblockDir));
        ExternalTools.Result compare = ExternalTools.run(qemuDir, null, "qemu-img", "compare", "-f", c.format(),
                "-F", c.format(), qemuImage.toString(), jblockImage.toString());
        assertEquals(0, compare.exitCode(), "images differ after the case: " + compare.stdout() + compare.stderr());
    }

    private void compareWithStored(TranscriptCase c) throws Exception {
        Path stored = EXPECTED.resolve(c.name() + ".txt");
        assertTrue(Files.exists(stored), "no checked-in transcript " + stored + "; regenerate with qemu-io");
        Path jblockDir = Files.createDirectories(work.resolve(c.name()));
        assumeDriverWorks(c);
        if (c.usesSample()) {
            decompressSample(c, jblockDir.resolve(c.imageFileName()));
        } else {
            createWithJblock(c, jblockDir.resolve(c.imageFileName()));
        }
        assertSame(Transcript.parse(Files.readString(stored)), runJblockIo(c, jblockDir));
    }

    private static void assertSame(Transcript expected, Transcript actual) {
        Transcript want = expected.normalized();
        Transcript got = actual.normalized();
        assertEquals(want.stdout(), got.stdout(), "stdout");
        assertEquals(want.stderr(), got.stderr(), "stderr");
        assertEquals(want.exitCode(), got.exitCode(), "exit status");
    }

    /** VHD cases wait for the VHD driver: skip them, visibly, while vpc cannot create images yet. */
    private static void assumeDriverWorks(TranscriptCase c) throws IOException {
        if (c.format().equals("raw")) {
            return;
        }
        DriverRegistry registry = DriverRegistry.load();
        try (MemoryBlockFile file = new MemoryBlockFile("probe.vhd")) {
            registry.create(file, c.format(), 1 << 20, "");
            try (BlockImage image = registry.open(file, new OpenSpec(c.format(), true, false, ""))) {
                image.size();
            }
        } catch (UnsupportedFeatureException e) {
            Assumptions.abort("the " + c.format() + " driver is not built yet: " + e.getMessage());
        }
    }

    /** Unpacks a shared sample image (bzip2). */
    private static void decompressSample(TranscriptCase c, Path image) throws IOException {
        Path samples = sampleFolder();
        if (samples == null) {
            String why = "the shared sample images are not found (JBLOCK_SHARED_DIR)";
            if ("true".equals(System.getenv("CI"))) {
                fail("sample case " + c.name() + " cannot run: " + why);
            }
            Assumptions.abort("sample case " + c.name() + " skipped: " + why);
        }
        Path sample = samples.resolve(c.size());
        assertTrue(Files.exists(sample), "missing sample image " + sample);
        try (InputStream packed = new BZip2CompressorInputStream(Files.newInputStream(sample))) {
            Files.copy(packed, image);
        }
    }

    /**
     * {@code $JBLOCK_SHARED_DIR/testdata/vhd}, or in a checkout that is not beside the shared folder
     * (a second worktree) the nearest {@code shared/testdata/vhd} above the working directory; null
     * when there is none.
     */
    private static Path sampleFolder() {
        String shared = System.getenv("JBLOCK_SHARED_DIR");
        if (shared != null && Files.isDirectory(Path.of(shared, "testdata", "vhd"))) {
            return Path.of(shared, "testdata", "vhd");
        }
        for (Path at = Path.of("").toAbsolutePath(); at != null; at = at.getParent()) {
            Path candidate = at.resolve("shared").resolve("testdata").resolve("vhd");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private static void createWithQemuImg(TranscriptCase c, Path image) throws Exception {
        List<String> command = new ArrayList<>(List.of("qemu-img", "create", "-q", "-f", c.format()));
        if (c.subformat() != null) {
            command.add("-o");
            command.add("subformat=" + c.subformat());
        }
        command.add(image.toString());
        command.add(c.size());
        ExternalTools.Result created = ExternalTools.run(image.getParent(), null, command.toArray(String[]::new));
        assertEquals(0, created.exitCode(), "qemu-img create failed: " + created.stderr());
    }

    private static void createWithJblock(TranscriptCase c, Path image) throws Exception {
        long size = QemuNumbers.byteCount(c.size(), w -> { });
        DriverRegistry.load().create(image, c.format(), size,
                c.subformat() == null ? "" : "subformat=" + c.subformat());
    }

    private static Transcript runQemuIo(TranscriptCase c, Path dir) throws Exception {
        List<String> command = new ArrayList<>();
        command.add("qemu-io");
        command.addAll(c.argsFor(dir));
        ExternalTools.Result result = ExternalTools.run(dir, c.stdin() == null ? "" : c.stdin(),
                command.toArray(String[]::new));
        return Transcript.filtered(result.stdout(), result.stderr(), result.exitCode(), dir.toString());
    }

    static Transcript runJblockIo(TranscriptCase c, Path dir) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        InputStream in = new ByteArrayInputStream((c.stdin() == null ? "" : c.stdin()).getBytes(StandardCharsets.UTF_8));
        int exit;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            exit = JblockIo.run(c.argsFor(dir).toArray(String[]::new), in, o, e, false);
        }
        return Transcript.filtered(out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), exit,
                dir.toString());
    }

    /** Real programs, run as processes with a time limit. */
    static final class ExternalTools {
        record Result(int exitCode, String stdout, String stderr) {
        }

        private ExternalTools() {
        }

        static boolean available(String tool) {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
                if (Files.isExecutable(Path.of(dir, tool))) {
                    return true;
                }
            }
            return false;
        }

        static Result run(Path dir, String stdin, String... command) throws IOException, InterruptedException {
            Path out = Files.createTempFile(dir, "stdout", ".txt");
            Path err = Files.createTempFile(dir, "stderr", ".txt");
            try {
                ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                        .redirectOutput(out.toFile()).redirectError(err.toFile());
                Process process = builder.start();
                try (var in = process.getOutputStream()) {
                    if (stdin != null) {
                        in.write(stdin.getBytes(StandardCharsets.UTF_8));
                    }
                }
                if (!process.waitFor(TOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new IOException(String.join(" ", command) + " did not finish in "
                            + TOOL_TIMEOUT_SECONDS + " s");
                }
                return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        }
    }
}

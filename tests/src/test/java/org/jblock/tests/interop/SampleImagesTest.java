package org.jblock.tests.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.jblock.api.BlockImage;
import org.jblock.registry.OpenSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.opentest4j.AssertionFailedError;

/**
 * The real VHDs from Microsoft Virtual PC, Hyper-V and Disk2vhd (the shared sample folder), read by
 * jblock as qemu-img reads them: the size in every size-calculation mode, the content, the map.
 */
class SampleImagesTest {
    private static final List<String> SAMPLES =
            List.of("virtualpc-dynamic.vhd", "hyperv2012r2-dynamic.vhd", "d2v-zerofilled.vhd");

    @TempDir
    static Path samples;

    @BeforeAll
    static void decompressSamples() throws IOException {
        Path folder = sampleFolder();
        for (String sample : SAMPLES) {
            Path compressed = folder.resolve(sample + ".bz2");
            try (InputStream in = new BZip2CompressorInputStream(Files.newInputStream(compressed))) {
                Files.copy(in, samples.resolve(sample));
            }
        }
    }

    /**
     * {@code $JBLOCK_SHARED_DIR/testdata/vhd} (the build points it beside the checkout), or, for a
     * checkout elsewhere (a second worktree), the nearest {@code shared/testdata/vhd} above it.
     */
    static Path sampleFolder() {
        List<Path> candidates = new ArrayList<>();
        String shared = System.getenv("JBLOCK_SHARED_DIR");
        if (shared != null) {
            candidates.add(Path.of(shared));
        }
        for (Path at = Path.of("").toAbsolutePath(); at != null; at = at.getParent()) {
            candidates.add(at.resolve("shared"));
        }
        return candidates.stream().map(c -> c.resolve("testdata").resolve("vhd")).filter(Files::isDirectory)
                .findFirst().orElseThrow(() -> new AssertionFailedError(
                        "no testdata/vhd folder in JBLOCK_SHARED_DIR (" + shared + ") nor above " + Path.of("")
                                .toAbsolutePath()));
    }

    @TempDir
    Path dir;

    @BeforeEach
    void requireQemu() {
        Qemu.require();
    }

    @ParameterizedTest(name = "{0} force_size_calc={1}")
    @CsvSource({
        "virtualpc-dynamic.vhd, auto", "virtualpc-dynamic.vhd, chs", "virtualpc-dynamic.vhd, current_size",
        "hyperv2012r2-dynamic.vhd, auto", "hyperv2012r2-dynamic.vhd, chs", "hyperv2012r2-dynamic.vhd, current_size",
        "d2v-zerofilled.vhd, auto", "d2v-zerofilled.vhd, chs", "d2v-zerofilled.vhd, current_size"})
    void virtualSizeIsQemusInEverySizeMode(String sample, String mode) throws IOException {
        Path image = samples.resolve(sample);
        boolean auto = mode.equals("auto");
        long qemuSize = (auto ? Qemu.info(image, "vpc") : Qemu.infoWithSizeCalc(image, mode)).virtualSize();

        OpenSpec spec = new OpenSpec("vpc", true, false, auto ? "" : "force_size_calc=" + mode);
        try (BlockImage opened = JblockImages.REGISTRY.open(image, spec)) {
            assertEquals(qemuSize, opened.size());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"virtualpc-dynamic.vhd", "hyperv2012r2-dynamic.vhd", "d2v-zerofilled.vhd"})
    void contentIsWhatQemuImgConvertReads(String sample) throws IOException {
        Path image = samples.resolve(sample);
        Path raw = dir.resolve("qemu.raw");
        Qemu.convertToRaw(image, "vpc", raw);

        try (FileChannel qemuRaw = Content.openRaw(raw);
             BlockImage opened = JblockImages.REGISTRY.open(image, OpenSpec.readOnlySpec())) {
            assertEquals(qemuRaw.size(), opened.size(), "size of qemu-img's raw copy");
            Content.assertSame(sample, Content.ofRaw(qemuRaw), Content.of(opened),
                    Content.toCompare(opened.size(), List.of()));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"virtualpc-dynamic.vhd", "hyperv2012r2-dynamic.vhd", "d2v-zerofilled.vhd"})
    void blockStatusListsTheBlocksQemuMapLists(String sample) throws IOException {
        Path image = samples.resolve(sample);
        var qemuRuns = DataRuns.of(Qemu.map(image, "vpc"));

        try (BlockImage opened = JblockImages.REGISTRY.open(image, JblockImages.vpc(true))) {
            var jblockRuns = DataRuns.of(opened);
            assertEquals(qemuRuns, jblockRuns);
            // Only Disk2vhd's sample has data (126 blocks); the others are empty.
            assertEquals(sample.startsWith("d2v"), !jblockRuns.isEmpty(), "has data");
        }
    }
}

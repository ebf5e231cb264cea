package org.jblock.driver.vpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import org.jblock.api.BlockImage;
import org.jblock.api.CheckMode;
import org.jblock.api.CheckReport;
import org.jblock.protocol.file.LocalBlockFile;
import org.jblock.api.MemoryBlockFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Check on images that are sound: the real samples and images jblock made. */
class VpcCheckSamplesTest {
    @TempDir
    Path dir;

    private CheckReport checkSample(String sample) throws IOException {
        Path path = SampleImages.decompress(sample, dir);
        try (BlockImage image = TestImages.open(LocalBlockFile.open(path, true), "check_bitmaps=on")) {
            return image.check(CheckMode.REPORT);
        }
    }

    private static List<String> messages(CheckReport report) {
        return report.findings().stream().map(f -> f.severity() + " " + f.offset() + " " + f.message())
                .collect(Collectors.toList());
    }

    @Test
    void imagesJblockWritesAreCleanWithNoFindingAtAll() throws IOException {
        for (String options : new String[] {"", "block_size=512K,force_size=on", "subformat=fixed"}) {
            MemoryBlockFile file = TestImages.create(9 << 20, options);
            try (BlockImage image = TestImages.open(file, false, "check_bitmaps=on")) {
                image.write(5000, ByteBuffer.wrap(TestImages.pattern(100_000, 1)));
                image.write(7 << 20, ByteBuffer.wrap(TestImages.pattern(3000, 2)));
                CheckReport report = image.check(CheckMode.REPORT);
                assertEquals(List.of(), messages(report), options);
                assertTrue(report.isClean());
                assertEquals(file.size(), report.imageEndOffset(), options);
            }
        }
    }

    @Test
    void virtualPcSampleIsClean() throws IOException {
        CheckReport report = checkSample(SampleImages.VIRTUAL_PC);
        assertEquals(List.of(), messages(report));
    }

    @Test
    void hyperVSampleIsClean() throws IOException {
        CheckReport report = checkSample(SampleImages.HYPER_V);
        // Hyper-V leaves 4 KiB between the BAT and the footer: room for the BAT, not a leak.
        assertEquals(List.of(), messages(report));
        assertEquals(65024, report.totalClusters());
        assertEquals(0, report.allocatedClusters());
    }

    @Test
    void disk2vhdSampleIsClean() throws IOException {
        CheckReport report = checkSample(SampleImages.DISK2VHD);
        assertEquals(List.of(), messages(report));
        assertEquals(126, report.totalClusters());
        assertEquals(126, report.allocatedClusters());
        // Disk2vhd stored blocks 124 and 125 right after block 0, so blocks 1 and 124 do not follow
        // their predecessors in the file.
        assertEquals(2, report.fragmentedClusters());
        assertEquals(264_308_224L, report.imageEndOffset());
    }
}

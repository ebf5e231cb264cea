package org.jblock.driver.vpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.jblock.api.BlockImage;
import org.jblock.api.CheckMode;
import org.jblock.api.CheckReport;
import org.jblock.api.CheckReport.Severity;
import org.jblock.api.ImageClosedException;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.spi.ProbeInput;
import org.junit.jupiter.api.Test;

/** Defects of the edges: use after close of every kind of VHD image, and fixed images whose footer is damaged. */
class VpcSmallDefectsTest {

    @Test
    void sizeFailsAfterCloseOnEveryKindOfImage() throws IOException {
        byte[] dynamic = TestImages.create(4 << 20, "").toByteArray();
        byte[] damaged = dynamic.clone();
        ByteBuffer.wrap(damaged).putInt(1536, 0x7000_0000);
        byte[] fixed = TestImages.create(1 << 20, "subformat=fixed").toByteArray();
        Object[][] cases = {{dynamic, ""}, {damaged, "check=on"}, {damaged, "salvage=on"}, {fixed, ""}};
        for (Object[] c : cases) {
            BlockImage image = TestImages.open(MemoryBlockFile.of("t.vhd", (byte[]) c[0]), true, (String) c[1]);
            assertTrue(image.size() > 0);
            image.close();
            assertThrows(ImageClosedException.class, image::size, (String) c[1]);
        }
    }

    @Test
    void aFixedImageWithABadFooterChecksumIsProbedAsVhdAndCheckFindsTheChecksum() throws IOException {
        byte[] fixed = TestImages.create(1 << 20, "subformat=fixed,force_size=on").toByteArray();
        fixed[fixed.length - 512 + 67] ^= 1;
        int score = TestImages.DRIVER.probe(ProbeInput.of(fixed, "f.vhd"));
        assertEquals(VpcDriver.PROBE_DAMAGED_FIXED_FOOTER, score);
        assertTrue(score > 1, "above raw's score");
        try (BlockImage image = TestImages.open(MemoryBlockFile.of("f.vhd", fixed), true, "check=on")) {
            CheckReport report = image.check(CheckMode.REPORT);
            assertEquals(1, report.count(Severity.CORRUPTION), report.findings().toString());
            assertTrue(report.findings().get(0).message().contains("checksum"), report.findings().toString());
            assertFalse(report.isClean());
        }
    }

    @Test
    void aTableBeyondJblocksLimitIsReportedAsWhatItIs() throws IOException {
        // A valid table of 2^24 + 1 entries (512-byte blocks): inside the file, more than jblock reads.
        long entries = VhdLayout.MAX_TABLE_ENTRIES + 1;
        byte[] small = TestImages.create(1 << 20, "force_size=on").toByteArray();
        byte[] image = new byte[(int) (1536 + entries * 4 + 512)];
        System.arraycopy(small, 0, image, 0, 1536);
        java.util.Arrays.fill(image, 1536, image.length - 512, (byte) 0xFF);
        ByteBuffer header = ByteBuffer.wrap(image, 512, 1024).slice();
        header.putInt(28, (int) entries).putInt(32, 512);
        DynamicHeader.decode(header.duplicate()).withChecksum().encode(header);
        System.arraycopy(small, 0, image, image.length - 512, 512);
        MemoryBlockFile file = MemoryBlockFile.of("big.vhd", image);
        org.jblock.api.UnsupportedFeatureException e = assertThrows(org.jblock.api.UnsupportedFeatureException.class,
                () -> TestImages.open(file, true, ""));
        assertTrue(e.getMessage().contains("more than jblock handles (16777216"), e.getMessage());
        try (BlockImage image2 = TestImages.open(file, true, "check=on")) {
            CheckReport report = image2.check(CheckMode.REPORT);
            assertTrue(report.findings().stream().anyMatch(f -> f.message().contains("more than jblock handles")),
                    report.findings().toString());
        }
    }
}

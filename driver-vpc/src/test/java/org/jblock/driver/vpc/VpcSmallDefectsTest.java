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
}

package org.jblock.driver.vpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import org.jblock.api.BlockException;
import org.jblock.api.BlockImage;
import org.jblock.api.CheckMode;
import org.jblock.api.CheckReport;
import org.jblock.api.CheckReport.Severity;
import org.jblock.api.MemoryBlockFile;
import org.junit.jupiter.api.Test;

/**
 * Check and repair on every single-byte change of a small image's metadata and at every truncation
 * point: a typed error or a report, never another exception; and a repair that says it repaired
 * everything leaves an image that checks clean and opens.
 */
class VpcCheckHostileTest {
    /** 1 MiB, 512 KiB blocks, block 1 allocated: footer copy, header, BAT, the block, the footer. */
    private static byte[] smallImage() throws IOException {
        MemoryBlockFile file = TestImages.create(1 << 20, "force_size=on,block_size=512K");
        try (BlockImage image = TestImages.open(file)) {
            image.write((1 << 19) + 512, ByteBuffer.wrap(TestImages.pattern(4096, 2)));
        }
        return file.toByteArray();
    }

    /**
     * Every byte of the footers, the header's fields and locators, and the used BAT entries; every
     * 7th byte of the header's parent name and reserved tail and of the BAT's padding.
     */
    private static boolean worthChanging(int at, int footerAt) {
        boolean header = at >= 512 && at < 1536;
        int inHeader = at - 512;
        boolean sparseHeader = header && ((inHeader >= 64 && inHeader < 576) || inHeader >= 768);
        boolean batPadding = at >= 1536 + 8 && at < 2048;
        return at >= footerAt || at < 512 || (header && !sparseHeader) || (at >= 1536 && at < 1544)
                || ((sparseHeader || batPadding) && at % 7 == 0);
    }

    /** @return the report of a check in {@code mode}, or null when it was refused with a typed error */
    private static CheckReport check(MemoryBlockFile file, CheckMode mode, String what) {
        try (BlockImage image = TestImages.open(file, false, "check=on")) {
            return image.check(mode);
        } catch (BlockException refused) {
            assertTrue(refused.getMessage() != null && !refused.getMessage().isBlank(), what);
            return null;
        } catch (Throwable other) {
            throw new AssertionError(what + ": " + other, other);
        }
    }

    /** @return whether a full repair was made and proven */
    private static boolean checkAndRepair(byte[] damaged, String what) throws IOException {
        MemoryBlockFile file = MemoryBlockFile.of("d.vhd", damaged);
        CheckReport found = check(file, CheckMode.REPORT, what);
        assertTrue(Arrays.equals(damaged, file.toByteArray()), what + ": a report-only check wrote");
        CheckReport repair = check(file, CheckMode.REPAIR_ALL, what);
        if (found == null || repair == null) {
            return false;
        }
        boolean allRepaired = repair.findings().stream()
                .allMatch(f -> f.repaired() || f.severity() == Severity.WARNING);
        if (allRepaired) {
            CheckReport again = check(file, CheckMode.REPORT, what);
            assertTrue(again != null && again.isClean(), what + ": after a full repair " + (again == null ? "refused"
                    : again.findings()));
            try (BlockImage image = TestImages.open(file, true, "")) {
                TestImages.read(image, 0, (int) Math.min(image.size(), 1 << 20));
            } catch (IOException e) {
                throw new AssertionError(what + ": the repaired image does not open: " + e.getMessage(), e);
            }
            return !repair.findings().isEmpty();
        }
        return false;
    }

    @Test
    void everyByteOfTheMetadataChanged() throws IOException {
        byte[] image = smallImage();
        int footerAt = image.length - 512;
        int[][] ranges = {{0, 2048}, {footerAt, image.length}, {2048, 2048 + 512}};
        int repaired = 0;
        for (int[] range : ranges) {
            for (int at = range[0]; at < range[1]; at++) {
                if (worthChanging(at, footerAt) || at >= 2048 && at < 2048 + 512 && at % 7 == 0) {
                    byte[] damaged = image.clone();
                    damaged[at] ^= (byte) 0xA5;
                    repaired += checkAndRepair(damaged, "byte " + at + " changed") ? 1 : 0;
                }
            }
        }
        // Checksums, the footer copy, BAT entries and more: a good share of the damage is repairable.
        assertTrue(repaired > 600, repaired + " damaged images were repaired");
    }

    @Test
    void everyTruncationPoint() throws IOException {
        byte[] image = smallImage();
        int repaired = 0;
        for (int length = 0; length < image.length;
             length += length < 2600 || length > image.length - 1100 ? 1 : 4099) {
            repaired += checkAndRepair(Arrays.copyOf(image, length), "cut to " + length + " bytes") ? 1 : 0;
        }
        // A cut inside the block or the footer leaves the copy at offset 0 to restore the footer from.
        assertTrue(repaired > 1000, repaired + " truncated images were repaired");
    }

    @Test
    void theSoundImageHasNoFinding() throws IOException {
        MemoryBlockFile file = MemoryBlockFile.of("s.vhd", smallImage());
        assertEquals(List.of(), check(file, CheckMode.REPORT, "sound").findings());
    }
}

package org.jblock.driver.vpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import org.jblock.api.BlockImage;
import org.jblock.protocol.file.LocalBlockFile;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.BlockFile;
import org.jblock.api.spi.support.PowerLoss;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No stale data after a crash: a jblock writer is killed at every write of an allocation (of two
 * blocks at once); then QEMU allocates a block in the image it left (QEMU puts it right after the
 * last referenced block, over any space the crash leaked); then every sector reads, in qemu-img and
 * in jblock, either zeros or what was written at that very place.
 */
class VpcNoStaleDataTest {
    private static final int SIZE = 10 << 20;
    private static final int BLOCK = 2 << 20;
    /** What jblock writes: across blocks 1 and 2, which it allocates together. */
    private static final long JBLOCK_AT = 2L * BLOCK - 8192;
    private static final int JBLOCK_LENGTH = 3 * 8192;
    /** What QEMU writes afterwards: a little of block 4. */
    private static final long QEMU_AT = 4L * BLOCK + 65536;
    private static final int QEMU_LENGTH = 4096;

    @TempDir
    Path dir;

    private static byte[] baseImage() throws IOException {
        MemoryBlockFile file = TestImages.create(SIZE, "force_size=on");
        try (BlockImage image = TestImages.open(file)) {
            image.write(0, ByteBuffer.wrap(TestImages.pattern(4096, 1)));
        }
        return file.toByteArray();
    }

    /** @return how many writes the allocating write and its flush make */
    private static int writesOfTheSequence(byte[] base) throws IOException {
        PowerLoss power = new PowerLoss(Integer.MAX_VALUE);
        BlockFile counter = power.feed(MemoryBlockFile.of("count.vhd", base));
        try (BlockImage image = TestImages.open(counter, "")) {
            image.write(JBLOCK_AT, ByteBuffer.wrap(TestImages.pattern(JBLOCK_LENGTH, 2)));
            image.flush();
        }
        return power.writes();
    }

    @Test
    void aCrashAtEveryWriteOfAnAllocationThenQemuWritesThenNoSectorShowsStaleData() throws Exception {
        RealTools.require("qemu-io", "qemu-img");
        byte[] base = baseImage();
        int writes = writesOfTheSequence(base);
        assertTrue(writes >= 5, "footer, two bitmaps, the BAT sector and the data: " + writes);
        byte[] jblockData = TestImages.pattern(JBLOCK_LENGTH, 2);
        for (int n = 0; n <= writes; n++) {
            String at = "crash after write " + n + " of " + writes;
            MemoryBlockFile storage = MemoryBlockFile.of("crash.vhd", base);
            BlockImage crashed = TestImages.open(new PowerLoss(n).feed(storage.reopen(false)), "");
            try {
                crashed.write(JBLOCK_AT, ByteBuffer.wrap(jblockData));
                crashed.flush();
            } catch (IOException powerLoss) {
                // the process is gone: nothing of it runs any more
            }
            Path vhd = dir.resolve("crash" + n + ".vhd");
            Files.write(vhd, storage.toByteArray());
            RealTools.run("qemu-io", "-f", "vpc", "-c", "write -P 0x5a " + QEMU_AT + " " + QEMU_LENGTH, vhd.toString());
            Path raw = dir.resolve("crash" + n + ".raw");
            RealTools.run("qemu-img", "convert", "-f", "vpc", "-O", "raw", vhd.toString(), raw.toString());
            byte[] qemu = Files.readAllBytes(raw);
            byte[] jblock;
            try (BlockImage image = TestImages.open(LocalBlockFile.open(vhd, true), "")) {
                jblock = TestImages.read(image, 0, SIZE);
            }
            assertEquals(SIZE, qemu.length, at);
            assertSectorsAreWrittenOrZero(qemu, jblockData, at + ", read by qemu-img");
            assertSectorsAreWrittenOrZero(jblock, jblockData, at + ", read by jblock");
        }
    }

    /** Every byte is what was written at its place (by the base image, jblock or QEMU) or zero. */
    private static void assertSectorsAreWrittenOrZero(byte[] disk, byte[] jblockData, String what) {
        byte[] first = TestImages.pattern(4096, 1);
        for (int i = 0; i < disk.length; i++) {
            byte b = disk[i];
            if (b == 0) {
                continue;
            }
            boolean written = (i < first.length && b == first[i])
                    || (i >= JBLOCK_AT && i < JBLOCK_AT + JBLOCK_LENGTH && b == jblockData[(int) (i - JBLOCK_AT)])
                    || (i >= QEMU_AT && i < QEMU_AT + QEMU_LENGTH && b == 0x5a);
            if (!written) {
                fail(what + ": byte " + i + " reads " + b + ", never written there");
            }
        }
        for (int i = (int) QEMU_AT; i < QEMU_AT + QEMU_LENGTH; i++) {
            if (disk[i] != 0x5a) {
                fail(what + ": QEMU's write is missing at " + i);
            }
        }
    }

    @Test
    void noCrashLeavesDataInUnreferencedSpace() throws IOException {
        // Without QEMU: data in space no BAT entry refers to is what the next allocator would expose;
        // a crash at any write leaves only zeros and bitmap sectors there.
        byte[] base = baseImage();
        int writes = writesOfTheSequence(base);
        for (int n = 0; n <= writes; n++) {
            MemoryBlockFile storage = MemoryBlockFile.of("crash.vhd", base);
            BlockImage crashed = TestImages.open(new PowerLoss(n).feed(storage.reopen(false)), "");
            try {
                crashed.write(JBLOCK_AT, ByteBuffer.wrap(TestImages.pattern(JBLOCK_LENGTH, 2)));
                crashed.flush();
            } catch (IOException powerLoss) {
                // abandoned
            }
            byte[] after = storage.toByteArray();
            VhdScan scan = VhdScanner.scan(MemoryBlockFile.of("s.vhd", after), VhdScanner.SizeMode.AUTO);
            long referencedEnd = Math.max(scan.metadataEnd, scan.dataEnd);
            long footerAt = after.length - 512;
            for (long at = referencedEnd; at < footerAt; at += 512) {
                boolean bitmapSector = (at - referencedEnd) % scan.span == 0;
                if (!bitmapSector && !TestImages.isZero(after, (int) at, (int) at + 512)) {
                    fail("crash after write " + n + ": unreferenced sector at " + at + " holds data");
                }
            }
        }
    }
}

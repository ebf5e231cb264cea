package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** jblock-img and the real qemu-img agree on the same files. */
class QemuImgInteropTest {
    @TempDir
    Path dir;

    @BeforeEach
    void needsQemuImg() {
        QemuImg.assumeInstalled();
    }

    /** A raw file of mixed content: random runs, zero runs and a sparse tail. */
    private Path mixedRaw(String name, long seed) throws Exception {
        Random random = new Random(seed);
        byte[] content = new byte[6 << 20];
        for (int at = 0; at < content.length; at += 64 << 10) {
            if (random.nextBoolean()) {
                byte[] run = new byte[64 << 10];
                random.nextBytes(run);
                System.arraycopy(run, 0, content, at, run.length);
            }
        }
        Path file = Files.write(dir.resolve(name), content);
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(10 << 20);
        }
        return file;
    }

    private static void assertSameVerdict(String a, String fa, String b, String fb) throws Exception {
        QemuImg.Result qemu = QemuImg.run("compare", "-f", fa, "-F", fb, a, b);
        Img.Result ours = Img.run("compare", "-f", fa, "-F", fb, a, b);
        assertEquals(qemu.exitCode(), ours.exitCode(), "exit code; qemu-img said " + qemu.out() + qemu.err());
        assertEquals(qemu.out(), ours.out());
    }

    @Test
    void compareAgreesWithQemuImgOnIdenticalAndDifferingPairs() throws Exception {
        Path a = mixedRaw("a.raw", 1);
        Path same = Files.copy(a, dir.resolve("same.raw"));
        assertSameVerdict(a.toString(), "raw", same.toString(), "raw");

        Path differs = Files.copy(a, dir.resolve("differs.raw"));
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(differs.toFile(), "rw")) {
            raf.seek(3_000_123);
            raf.write(raf.read() ^ 0x40);
        }
        assertSameVerdict(a.toString(), "raw", differs.toString(), "raw");

        Path longer = Files.copy(a, dir.resolve("longer.raw"));
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(longer.toFile(), "rw")) {
            raf.setLength(12 << 20);
        }
        assertSameVerdict(a.toString(), "raw", longer.toString(), "raw");
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(longer.toFile(), "rw")) {
            raf.seek((11 << 20) + 77);
            raf.write(1);
        }
        assertSameVerdict(longer.toString(), "raw", a.toString(), "raw");
    }

    @Test
    void rawConvertedByJblockImgIsIdenticalByQemuImgAndTheOtherWay() throws Exception {
        Path a = mixedRaw("a.raw", 2);
        Path ours = dir.resolve("ours.raw");
        Img.run("convert", "-f", "raw", "-O", "raw", a.toString(), ours.toString()).assertSuccess();
        QemuImg.assertIdentical("raw", a, "raw", ours);

        Path theirs = dir.resolve("theirs.raw");
        assertEquals(0, QemuImg.run("convert", "-f", "raw", "-O", "raw", a.toString(), theirs.toString()).exitCode());
        Img.run("compare", "-f", "raw", "-F", "raw", a.toString(), theirs.toString()).assertSuccess();
    }
}

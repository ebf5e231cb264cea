package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompareCommandTest {
    @TempDir
    Path dir;

    private Path file(String name, byte[] content) throws Exception {
        return Files.write(dir.resolve(name), content);
    }

    private static byte[] random(int size) {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        return data;
    }

    @Test
    void identicalImages() throws Exception {
        byte[] data = random(3 << 20);
        Img.Result r = Img.run("compare", file("a", data).toString(), file("b", data.clone()).toString()).assertSuccess();
        assertEquals("Images are identical.\n", r.out());
    }

    @Test
    void aDifferenceIsReportedAtTheStartOfItsSector() throws Exception {
        byte[] data = random(3 << 20);
        byte[] other = data.clone();
        other[(2 << 20) + 5000] ^= 1;
        Img.Result r = Img.run("compare", file("a", data).toString(), file("b", other).toString());
        assertEquals(CompareCommand.DIFFERENT, r.exitCode());
        assertEquals("Content mismatch at offset " + ((2 << 20) + 4608) + "!\n", r.out());
    }

    @Test
    void aLongerImageWithAZeroTailIsIdenticalWithAWarning() throws Exception {
        byte[] data = random(1 << 20);
        byte[] longer = java.util.Arrays.copyOf(data, 3 << 20);
        Img.Result r = Img.run("compare", file("a", data).toString(), file("b", longer).toString()).assertSuccess();
        assertEquals("Warning: Image size mismatch!\nImages are identical.\n", r.out());

        Img.Result strict = Img.run("compare", "-s", dir.resolve("a").toString(), dir.resolve("b").toString());
        assertEquals(CompareCommand.DIFFERENT, strict.exitCode());
        assertEquals("Strict mode: Image size mismatch!\n", strict.out());
    }

    @Test
    void dataInTheLongerImagesTailIsAMismatch() throws Exception {
        byte[] data = random(1 << 20);
        byte[] longer = java.util.Arrays.copyOf(data, 3 << 20);
        longer[(2 << 20) + 1000] = 9;
        Img.Result r = Img.run("compare", file("b", longer).toString(), file("a", data).toString());
        assertEquals(CompareCommand.DIFFERENT, r.exitCode());
        assertEquals("Warning: Image size mismatch!\nContent mismatch at offset " + ((2 << 20) + 512) + "!\n", r.out());
    }

    @Test
    void imagesOfDifferentFormatsCompareByContent() throws Exception {
        byte[] data = random(2 << 20);
        Path raw = file("a.raw", data);
        Path img = dir.resolve("a.img");
        Img.run("convert", "-O", "testimg", raw.toString(), img.toString()).assertSuccess();
        Img.run("compare", "-f", "raw", "-F", "testimg", raw.toString(), img.toString()).assertSuccess();
        Img.Result quiet = Img.run("compare", "-q", "-F", "testimg", raw.toString(), img.toString());
        assertEquals(0, quiet.exitCode());
        assertEquals("", quiet.out());
    }

    @Test
    void anImageThatDoesNotOpenExitsTwoAndAFailedReadExitsFour() throws Exception {
        Path a = file("a", random(4096));
        Img.Result r = Img.run("compare", a.toString(), dir.resolve("missing").toString())
                .assertOneLineError(CompareCommand.OPEN_FAILED);
        assertTrue(r.err().contains("Could not open"), r.err());

        Path bad = dir.resolve("bad.img");
        Img.run("create", "-q", "-f", "testimg", "-o", "fail_at=100", bad.toString(), "4096").assertSuccess();
        try (org.jblock.api.BlockImage image = Img.registry().open(bad,
                new org.jblock.registry.OpenSpec("testimg", false, false, ""))) {
            image.write(0, java.nio.ByteBuffer.wrap(random(4096)));
        }
        Img.Result failed = Img.run("compare", "-F", "testimg", a.toString(), bad.toString());
        assertEquals(CompareCommand.READ_FAILED, failed.exitCode(), failed.err());
        assertTrue(failed.err().contains("Input/output error"), failed.err());
    }
}

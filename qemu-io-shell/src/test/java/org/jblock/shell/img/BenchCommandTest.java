package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchCommandTest {
    @TempDir
    Path dir;

    @Test
    void readRunPrintsQemuImgBenchsLines() throws Exception {
        Path file = Files.write(dir.resolve("b.raw"), new byte[1 << 20]);
        Img.Result r = Img.run("bench", "-c", "1000", "-d", "1", "-f", "raw", file.toString()).assertSuccess();
        List<String> lines = r.out().lines().toList();
        assertEquals("Sending 1000 read requests, 4096 bytes each, 1 in parallel (starting at offset 0, step size 4096)",
                lines.get(0));
        assertTrue(lines.get(1).matches("Run completed in [0-9]+\\.[0-9]{3} seconds\\."), lines.get(1));
        assertEquals(2, lines.size());
    }

    @Test
    void writesThePatternAtEachStepWrappingAtTheImageSize() throws Exception {
        Path file = Files.write(dir.resolve("w.raw"), new byte[64 << 10]);
        // 20 writes of 512 bytes, 8 KiB apart, starting at 1 KiB: offsets wrap after the 8th.
        Img.Result r = Img.run("bench", "-w", "-c", "20", "-d", "4", "-s", "512", "-S", "8k", "-o", "1k",
                "--pattern=0xab", "-f", "raw", file.toString()).assertSuccess();
        assertTrue(r.out().startsWith("Sending 20 write requests, 512 bytes each, 4 in parallel "
                + "(starting at offset 1024, step size 8192)\n"), r.out());
        byte[] content = Files.readAllBytes(file);
        for (int at = 0; at < content.length; at++) {
            boolean written = at % 8192 >= 1024 && at % 8192 < 1024 + 512;
            assertEquals(written ? (byte) 0xab : 0, content[at], "byte " + at);
        }
    }

    @Test
    void aRequestBeyondTheEndFailsTheRun() throws Exception {
        Path file = Files.write(dir.resolve("s.raw"), new byte[1 << 20]);
        Img.Result r = Img.run("bench", "-c", "10", "-s", "768k", "-f", "raw", file.toString());
        assertEquals(1, r.exitCode());
        assertTrue(r.err().startsWith("jblock-img: Failed request: "), r.err());
        assertEquals(1, r.err().lines().count());
    }

    @Test
    void badParametersAreOneLine() throws Exception {
        Path file = Files.write(dir.resolve("p.raw"), new byte[4096]);
        Img.run("bench", "-d", "0", file.toString()).assertOneLineError(1);
        Img.run("bench", "-c", "ten", file.toString()).assertOneLineError(1);
        Img.run("bench", "--pattern", "300", file.toString()).assertOneLineError(1);
        Img.run("bench", "-t", "fast", file.toString()).assertOneLineError(1);
        Img.run("bench", "--flush-interval", "2", file.toString()).assertOneLineError(1);
        Img.run("bench", dir.resolve("absent").toString()).assertOneLineError(1);
    }

    @Test
    void quietPrintsNothing() throws Exception {
        Path file = Files.write(dir.resolve("q.raw"), new byte[4096]);
        assertEquals("", Img.run("bench", "-q", "-c", "5", "-f", "raw", file.toString()).assertSuccess().out());
    }
}

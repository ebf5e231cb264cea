package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dd}: qemu-img's operands, sizes and messages, and the same bytes as qemu-img dd. */
class DdCommandTest {
    @TempDir
    Path dir;

    private Path randomRaw(String name, int size) throws Exception {
        byte[] content = new byte[size];
        new Random(size).nextBytes(content);
        return Files.write(dir.resolve(name), content);
    }

    @Test
    void copiesTheWholeInputIntoANewRawImageAndPrintsNothing() throws Exception {
        Path input = randomRaw("in.raw", 3 << 20);
        Path output = dir.resolve("out.raw");
        Img.run("dd", "-f", "raw", "if=" + input, "of=" + output).assertSuccess();
        assertEquals("", Img.run("dd", "-f", "raw", "if=" + input, "of=" + output).assertSuccess().out());
        assertArrayEquals(Files.readAllBytes(input), Files.readAllBytes(output));
    }

    @Test
    void intoAVhdWithAnyBlockSizeTheImagesCompareIdentical() throws Exception {
        Path input = dir.resolve("in.vhd");
        Img.run("create", "-q", "-f", "vpc", input.toString(), "1M").assertSuccess();
        Path raw = randomRaw("fill.raw", 1 << 20);
        Img.run("convert", "-n", "-f", "raw", "-O", "vpc", raw.toString(), input.toString()).assertSuccess();
        for (String bs : new String[] {"5", "512", "1999", "64K"}) {
            Path output = dir.resolve("out" + bs + ".vhd");
            Img.run("dd", "if=" + input, "of=" + output, "bs=" + bs, "-O", "vpc").assertSuccess();
            assertEquals("Images are identical.\n", Img.run("compare", input.toString(), output.toString()).out(), bs);
        }
    }

    @Test
    void countAndSkipCountBlocksFromTheStartOfTheInput() throws Exception {
        Path input = randomRaw("in.raw", 1 << 20);
        Path output = dir.resolve("out.raw");
        Img.run("dd", "-f", "raw", "bs=64k", "skip=4", "count=10", "if=" + input, "of=" + output).assertSuccess();
        byte[] all = Files.readAllBytes(input);
        assertArrayEquals(Arrays.copyOfRange(all, 4 << 16, 10 << 16), Files.readAllBytes(output),
                "the output holds blocks 4 to 9: count includes the skipped blocks, as in qemu-img");
    }

    @Test
    void skippingPastTheEndSaysSoAndLeavesAnEmptyOutput() throws Exception {
        Path input = randomRaw("in.raw", 4096);
        Path output = dir.resolve("out.raw");
        Img.Result r = Img.run("dd", "-f", "raw", "skip=9", "if=" + input, "of=" + output);
        assertEquals(0, r.exitCode());
        assertEquals("jblock-img: " + input + ": cannot skip to specified offset\n", r.err());
        assertEquals(0, Files.size(output));
    }

    @Test
    void badOperandsAreOneLineWithQemuImgsWording() throws Exception {
        Path input = randomRaw("in.raw", 4096);
        assertTrue(Img.run("dd", "if=" + input, "osize=1").assertOneLineError(1).err()
                .endsWith(": unrecognized operand osize=1\n"));
        assertTrue(Img.run("dd", "if=" + input).assertOneLineError(1).err()
                .endsWith(": Must specify both input and output files\n"));
        assertTrue(Img.run("dd", "bs=0", "if=" + input, "of=x").assertOneLineError(1).err()
                .endsWith(": Invalid bs specified. Must be between 1 and 2147483647.\n"));
        assertTrue(Img.run("dd", "bs=2G", "if=" + input, "of=x").assertOneLineError(1).err()
                .endsWith(": Invalid bs specified. Must be between 1 and 2147483647.\n"));
        assertTrue(Img.run("dd", "count=many", "if=" + input, "of=x").assertOneLineError(1).err().contains("count"));
    }

    @Test
    void writesWhatQemuImgDdWrites() throws Exception {
        QemuImg.assumeInstalled();
        Path input = randomRaw("in.raw", (1 << 20) + 1234);
        Path ours = dir.resolve("ours.raw");
        Path theirs = dir.resolve("theirs.raw");
        String[] operands = {"bs=1999", "skip=7", "count=300"};
        Img.run(concat(new String[] {"dd", "-f", "raw", "if=" + input, "of=" + ours}, operands)).assertSuccess();
        assertEquals(0, QemuImg.run(concat(new String[] {"dd", "-f", "raw", "if=" + input, "of=" + theirs}, operands))
                .exitCode());
        byte[] expected = Files.readAllBytes(theirs);
        byte[] actual = Files.readAllBytes(ours);
        assertEquals((300 - 7) * 1999, actual.length);
        // qemu-img creates raw files in whole 512-byte sectors: its output may end in up to 511 zeros more.
        assertEquals(actual.length + 511 & ~511, expected.length);
        assertArrayEquals(Arrays.copyOf(expected, actual.length), actual);
        assertArrayEquals(new byte[expected.length - actual.length], Arrays.copyOfRange(expected, actual.length, expected.length));
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}

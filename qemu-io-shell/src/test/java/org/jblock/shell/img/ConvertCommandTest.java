package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import org.jblock.api.BlockImage;
import org.jblock.registry.OpenSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConvertCommandTest {
    @TempDir
    Path dir;

    /** A raw file of {@code megabytes} MiB: random data in the first and every fourth MiB, zeros between. */
    private Path mixedRaw(String name, int megabytes) throws Exception {
        byte[] content = new byte[megabytes << 20];
        Random random = new Random(megabytes);
        for (int mb = 0; mb < megabytes; mb += 4) {
            byte[] data = new byte[1 << 20];
            random.nextBytes(data);
            System.arraycopy(data, 0, content, mb << 20, data.length);
        }
        Path file = dir.resolve(name);
        Files.write(file, content);
        return file;
    }

    private static byte[] virtualContent(Path file, String format) throws Exception {
        try (BlockImage image = Img.registry().open(file, new OpenSpec(format, true, false, ""))) {
            ByteBuffer all = ByteBuffer.allocate((int) image.size());
            image.read(0, all);
            return all.array();
        }
    }

    @Test
    void convertsRawToAnotherFormatAndBackWithTheSameContent() throws Exception {
        Path raw = mixedRaw("a.raw", 9);
        Path img = dir.resolve("a.img");
        Path back = dir.resolve("back.raw");
        Img.run("convert", "-f", "raw", "-O", "testimg", raw.toString(), img.toString()).assertSuccess();
        Img.run("convert", "-f", "testimg", "-O", "raw", "-W", img.toString(), back.toString()).assertSuccess();
        assertArrayEquals(Files.readAllBytes(raw), virtualContent(img, "testimg"));
        assertArrayEquals(Files.readAllBytes(raw), Files.readAllBytes(back));
        assertEquals("Images are identical.\n", Img.run("compare", raw.toString(), back.toString()).out());
    }

    @Test
    void inOrderWritesLayAVhdsBlocksOutInDiskOrder() throws Exception {
        Path raw = mixedRaw("a.raw", 24);
        Path vhd = dir.resolve("a.vhd");
        Img.run("convert", "-m", "8", "-f", "raw", "-O", "vpc", raw.toString(), vhd.toString()).assertSuccess();
        try (BlockImage image = Img.registry().open(vhd, new OpenSpec("vpc", true, false, ""))) {
            long previous = -1;
            int dataExtents = 0;
            for (org.jblock.api.Extent e : image.blockStatus(0, image.size())) {
                if (e.data()) {
                    long host = e.hostOffset().orElseThrow();
                    assertTrue(host > previous, "block at " + e.start() + " is stored before an earlier one");
                    previous = host;
                    dataExtents++;
                }
            }
            assertEquals(6, dataExtents, "a block for each MiB of data that starts a 4 MiB step");
        }
        assertArrayEquals(Files.readAllBytes(raw), java.util.Arrays.copyOf(virtualContent(vhd, "vpc"), 24 << 20));
    }

    @Test
    void outputIsSparse() throws Exception {
        Path raw = mixedRaw("a.raw", 16);
        Path copy = dir.resolve("copy.raw");
        Img.run("convert", "-O", "raw", raw.toString(), copy.toString()).assertSuccess();
        assertTrue(diskSize(copy) <= (5L << 20), "zeros are not written: " + diskSize(copy));
        assertTrue(diskSize(raw) >= (15L << 20), "the source is dense: " + diskSize(raw));
        assertArrayEquals(Files.readAllBytes(raw), Files.readAllBytes(copy));
    }

    /** The bytes a file takes on its disk, as info's {@code disk size} tells them. */
    private static long diskSize(Path file) throws IOException {
        try (BlockImage image = Img.registry().open(file, new OpenSpec("raw", true, false, ""))) {
            return image.allocatedSize();
        }
    }

    @Test
    void progressOffATerminalIsQemuImgsLines() throws Exception {
        Path source = mixedRaw("a.raw", 3);
        Img.Result r = Img.run("convert", "-p", "-f", "raw", "-O", "raw", source.toString(),
                dir.resolve("d.raw").toString()).assertSuccess();
        assertTrue(r.out().startsWith("    (0.00/100%)\r"), r.out());
        assertTrue(r.out().endsWith("    (100.00/100%)\r\n"), r.out());
        assertTrue(r.out().matches("(    \\(\\d{1,3}\\.\\d\\d/100%\\)\r)+\n"), r.out());
        assertEquals("", Img.run("convert", "-p", "-q", "-f", "raw", "-O", "raw", source.toString(),
                dir.resolve("e.raw").toString()).assertSuccess().out(), "-q disables -p");
    }

    @Test
    void concatenatesSeveralSources() throws Exception {
        Path a = mixedRaw("a.raw", 1);
        Path b = mixedRaw("b.raw", 2);
        Path out = dir.resolve("ab.raw");
        Img.run("convert", "-m", "2", a.toString(), b.toString(), out.toString()).assertSuccess();
        byte[] expected = new byte[3 << 20];
        System.arraycopy(Files.readAllBytes(a), 0, expected, 0, 1 << 20);
        System.arraycopy(Files.readAllBytes(b), 0, expected, 1 << 20, 2 << 20);
        assertArrayEquals(expected, Files.readAllBytes(out));
    }

    @Test
    void replacesAnExistingDestinationButWritesIntoItWithMinusN() throws Exception {
        Path raw = mixedRaw("a.raw", 2);
        Path dst = dir.resolve("dst.raw");
        Files.write(dst, new byte[5 << 20]);
        Img.run("convert", raw.toString(), dst.toString()).assertSuccess();
        assertEquals(2 << 20, Files.size(dst), "replaced: the new image has the source's size");

        byte[] old = new byte[3 << 20];
        java.util.Arrays.fill(old, (byte) 0x77);
        Files.write(dst, old);
        Img.run("convert", "-n", raw.toString(), dst.toString()).assertSuccess();
        byte[] after = Files.readAllBytes(dst);
        assertEquals(3 << 20, after.length, "-n keeps the existing image");
        assertArrayEquals(Files.readAllBytes(raw), java.util.Arrays.copyOf(after, 2 << 20),
                "zeros of the source overwrite the old data too");
        assertEquals(0x77, after[(3 << 20) - 1]);
    }

    @Test
    void minusNWritesThroughTheDestinationsOwnFormat() throws Exception {
        Path raw = mixedRaw("a.raw", 4);
        Path vhd = dir.resolve("existing.vhd");
        Img.run("create", "-q", "-f", "vpc", vhd.toString(), "8M").assertSuccess();
        Img.run("convert", "-n", "-f", "raw", raw.toString(), vhd.toString()).assertSuccess();
        byte[] content = virtualContent(vhd, "vpc");
        assertArrayEquals(Files.readAllBytes(raw), java.util.Arrays.copyOf(content, 4 << 20),
                "the data went through the VHD format, which still opens");
    }

    @Test
    void aFailedConvertRemovesTheDestinationItCreated() throws Exception {
        Path src = dir.resolve("bad.img");
        Img.run("create", "-q", "-f", "testimg", "-o", "fail_at=" + (5 << 20), src.toString(), "8M").assertSuccess();
        try (BlockImage image = Img.registry().open(src, new OpenSpec("testimg", false, false, ""))) {
            byte[] data = new byte[8 << 20];
            java.util.Arrays.fill(data, (byte) 1);
            image.write(0, ByteBuffer.wrap(data));
        }
        Path dst = dir.resolve("out.raw");
        Img.Result r = Img.run("convert", "-f", "testimg", src.toString(), dst.toString()).assertOneLineError(1);
        assertTrue(r.err().contains("Input/output error"), r.err());
        assertFalse(Files.exists(dst), "the destination created by the failed run is removed");
    }

    @Test
    void salvageCopiesAroundSectorsThatCannotBeReadAndNamesEach() throws Exception {
        byte[] content = new byte[4 << 20];
        new Random(7).nextBytes(content);
        Path raw = dir.resolve("bad-disk.raw");
        Files.write(raw, content);
        long badSector = 2048 + 3; // the fourth sector of the second MiB
        String source = "json:{\"driver\": \"raw\", \"file\": {\"driver\": \"blkdebug\", \"image\": {"
                + "\"driver\": \"file\", \"filename\": \"" + raw + "\"}, \"inject-error\": [{\"event\": \"none\","
                + " \"iotype\": \"read\", \"errno\": 5, \"sector\": " + badSector + "}]}}";
        Path copy = dir.resolve("copy.raw");

        Img.Result plain = Img.run("convert", "-O", "raw", source, copy.toString());
        assertEquals(1, plain.exitCode(), plain.err());
        assertFalse(Files.exists(copy), "a failed convert leaves no destination");

        Img.Result salvaged = Img.run("convert", "--salvage", "-O", "raw", source, copy.toString());
        assertEquals(0, salvaged.exitCode(), salvaged.err());
        assertEquals("jblock-img: warning: error while reading offset " + badSector * 512 + ": Input/output error\n",
                salvaged.err());
        byte[] expected = content.clone();
        java.util.Arrays.fill(expected, (int) (badSector * 512), (int) (badSector * 512) + 512, (byte) 0);
        assertArrayEquals(expected, Files.readAllBytes(copy), "all but the bad sector is copied");
    }

    @Test
    void refusesTheSourceAsDestinationAndOtherBadInput() throws Exception {
        Path raw = mixedRaw("a.raw", 1);
        byte[] before = Files.readAllBytes(raw);
        assertTrue(Img.run("convert", raw.toString(), raw.toString()).assertOneLineError(1).err()
                .contains("is the source image"));
        assertArrayEquals(before, Files.readAllBytes(raw), "the source is untouched");
        String dst = dir.resolve("x.raw").toString();
        assertTrue(Img.run("convert", raw.toString()).assertOneLineError(1).err().contains("Must specify"));
        assertTrue(Img.run("convert", "-O", "nope", raw.toString(), dst).assertOneLineError(1).err()
                .contains("Unknown driver 'nope'"));
        assertTrue(Img.run("convert", dir.resolve("missing").toString(), dst).assertOneLineError(1).err()
                .contains("Could not open"));
        assertTrue(Img.run("convert", "-S", "1000", raw.toString(), dst).assertOneLineError(1).err()
                .contains("sparse"));
        assertTrue(Img.run("convert", "-m", "17", raw.toString(), dst).assertOneLineError(1).err()
                .contains("coroutines"));
        assertTrue(Img.run("convert", "-O", "testimg", "-o", "bogus=1", raw.toString(), dst)
                .assertOneLineError(1).err().contains("Invalid parameter 'bogus'"));
        assertTrue(Img.run("convert", "-n", raw.toString(), dst).assertOneLineError(1).err().contains("Could not open"));
        assertFalse(Files.exists(Path.of(dst)));
        assertTrue(Img.run("convert", "-O", "raw", "-o", "help").assertSuccess().out()
                .startsWith("Supported raw options:"));
    }

    @Test
    void aDestinationSmallerThanTheSourceIsRefusedWithMinusN() throws Exception {
        Path raw = mixedRaw("a.raw", 2);
        Path dst = dir.resolve("small.raw");
        Files.write(dst, new byte[1 << 20]);
        assertTrue(Img.run("convert", "-n", raw.toString(), dst.toString()).assertOneLineError(1).err()
                .contains("smaller than the sources"));
    }

    @Test
    void everyCacheModeButTheDirectOnesConvertsAVhdToTheSameContent() throws Exception {
        Path raw = mixedRaw("a.raw", 8);
        for (String mode : new String[] {"unsafe", "writeback", "writethrough"}) {
            Path vhd = dir.resolve(mode + ".vhd");
            Img.run("convert", "-t", mode, "-T", "writeback", "-f", "raw", "-O", "vpc", raw.toString(), vhd.toString())
                    .assertSuccess();
            assertArrayEquals(Files.readAllBytes(raw), java.util.Arrays.copyOf(virtualContent(vhd, "vpc"), 8 << 20), mode);
        }
    }

    @Test
    void cacheModesAreCheckedWithQemuImgsMessages() throws Exception {
        Path raw = mixedRaw("a.raw", 1);
        Path out = dir.resolve("out.vhd");
        assertEquals("jblock-img: Invalid cache option: fast\n", Img.run("convert", "-t", "fast", "-O", "vpc",
                raw.toString(), out.toString()).assertOneLineError(1).err());
        assertEquals("jblock-img: Invalid source cache option: fast\n", Img.run("convert", "-T", "fast", "-O", "vpc",
                raw.toString(), out.toString()).assertOneLineError(1).err());
        assertFalse(Files.exists(out));
        assertEquals("jblock-img: Invalid cache option: fast\n",
                Img.run("commit", "-t", "fast", raw.toString()).assertOneLineError(1).err());
        assertEquals("jblock-img: Invalid source cache option: fast\n",
                Img.run("rebase", "-T", "fast", "-u", "-b", "", raw.toString()).assertOneLineError(1).err());
        assertEquals("jblock-img: Invalid source cache option: fast\n",
                Img.run("compare", "-T", "fast", raw.toString(), raw.toString()).assertOneLineError(2).err());
        assertEquals("jblock-img: Invalid source cache option: fast\n",
                Img.run("check", "-T", "fast", raw.toString()).assertOneLineError(1).err());
    }

    @Test
    void directCacheModesReadAndWriteLocalFilesBypassingThePageCache() throws Exception {
        Path raw = mixedRaw("a.raw", 5);
        Path vhd = dir.resolve("out.vhd");
        Path back = dir.resolve("back.raw");
        Img.run("convert", "-t", "none", "-T", "none", "-O", "vpc", raw.toString(), vhd.toString()).assertSuccess();
        Img.run("convert", "-t", "directsync", "-T", "directsync", "-O", "raw", vhd.toString(), back.toString())
                .assertSuccess();
        // The VHD's size is rounded up to its disk geometry: compare, as qemu-img's, checks the tail for zeros.
        assertTrue(Img.run("compare", raw.toString(), vhd.toString()).out().endsWith("\nImages are identical.\n"));
        byte[] content = Files.readAllBytes(raw);
        assertArrayEquals(content, java.util.Arrays.copyOf(Files.readAllBytes(back), content.length));
        assertTrue(Img.run("compare", "-T", "none", raw.toString(), back.toString()).out()
                .endsWith("\nImages are identical.\n"));
        assertEquals("No errors were found on the image.\n", Img.run("check", "-T", "directsync", vhd.toString()).out()
                .lines().filter(l -> l.startsWith("No errors")).findFirst().orElse("") + "\n");
    }

}

package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;

import org.jblock.api.BlockImage;
import org.jblock.registry.OpenSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class MapCommandTest {
    @TempDir
    Path dir;

    /** A test image of 1 MiB: data in the clusters at 128 KiB and 192 KiB, zeros elsewhere. */
    private Path image() throws Exception {
        Path file = dir.resolve("m.img");
        Img.run("create", "-q", "-f", "testimg", file.toString(), "1M").assertSuccess();
        try (BlockImage image = Img.registry().open(file, new OpenSpec("testimg", false, false, ""))) {
            byte[] data = new byte[2 * TestDriver.CLUSTER];
            java.util.Arrays.fill(data, (byte) 3);
            image.write(2 * TestDriver.CLUSTER, ByteBuffer.wrap(data));
        }
        return file;
    }

    @Test
    void jsonEntriesMergeNeighboursWithTheSameFlagsAndContiguousOffsets() throws Exception {
        Img.Result r = Img.run("map", "--output=json", "-f", "testimg", image().toString()).assertSuccess();
        JsonNode entries = new ObjectMapper().readTree(r.out());
        assertEquals(3, entries.size(), r.out());
        assertEntry(entries.get(0), 0, 2 * TestDriver.CLUSTER, true, false, -1);
        assertEntry(entries.get(1), 2 * TestDriver.CLUSTER, 2 * TestDriver.CLUSTER, false, true, 512 + 2 * TestDriver.CLUSTER);
        assertEntry(entries.get(2), 4 * TestDriver.CLUSTER, (1 << 20) - 4 * TestDriver.CLUSTER, true, false, -1);
        assertEquals(3, r.out().lines().count(), "one entry a line");
    }

    private static void assertEntry(JsonNode e, long start, long length, boolean zero, boolean data, long offset) {
        assertEquals(start, e.get("start").asLong(), e.toString());
        assertEquals(length, e.get("length").asLong(), e.toString());
        assertEquals(0, e.get("depth").asLong());
        assertTrue(e.get("present").asBoolean());
        assertEquals(zero, e.get("zero").asBoolean(), e.toString());
        assertEquals(data, e.get("data").asBoolean(), e.toString());
        assertEquals(offset >= 0, e.has("offset"), e.toString());
        if (offset >= 0) {
            assertEquals(offset, e.get("offset").asLong());
        }
    }

    @Test
    void jsonIsLaidOutLikeQemuImgsTextByText() throws Exception {
        java.nio.file.Path vhd = dir.resolve("m.vhd");
        Img.run("create", "-q", "-f", "vpc", vhd.toString(), "10M").assertSuccess();
        String ours = Img.run("map", "--output=json", vhd.toString()).assertSuccess().out();
        assertEquals("[{ \"start\": 0, \"length\": 10514432, \"depth\": 0, \"present\": true, \"zero\": true,"
                + " \"data\": false}]\n", ours);
        QemuImg.assumeInstalled();
        assertEquals(QemuImg.run("map", "--output=json", vhd.toString()).out(), ours);
    }

    @Test
    void humanTableListsDataRunsOnly() throws Exception {
        Path file = image();
        Img.Result r = Img.run("map", "-f", "testimg", file.toString()).assertSuccess();
        assertEquals(String.format("%-16s%-16s%-16s%s%n%-16s%-16s%-16s%s%n", "Offset", "Length", "Mapped to", "File",
                "0x20000", "0x20000", "0x20200", file), r.out());
    }

    @Test
    void startAndLengthLimitTheMap() throws Exception {
        Img.Result r = Img.run("map", "--output=json", "-s", "192k", "-l", "128k", "-f", "testimg", image().toString())
                .assertSuccess();
        JsonNode entries = new ObjectMapper().readTree(r.out());
        assertEquals(2, entries.size(), r.out());
        assertEntry(entries.get(0), 3 * TestDriver.CLUSTER, TestDriver.CLUSTER, false, true, 512 + 3 * TestDriver.CLUSTER);
        assertEntry(entries.get(1), 4 * TestDriver.CLUSTER, TestDriver.CLUSTER, true, false, -1);
    }

    @Test
    void aMapLongerThanOneQueryWindowStaysOneEntry() throws Exception {
        Path big = dir.resolve("big.raw");
        Img.run("create", "-q", "-f", "raw", big.toString(), "5G").assertSuccess();
        JsonNode entries = new ObjectMapper().readTree(Img.run("map", "--output=json", "-f", "raw", big.toString()).out());
        assertEquals(1, entries.size(), entries.toString());
        assertEquals(5L << 30, entries.get(0).get("length").asLong());
    }

    @Test
    void badInputIsOneLine() throws Exception {
        assertTrue(Img.run("map", "-s", "lots", "-f", "testimg", image().toString()).assertOneLineError(1).err()
                .contains("start offset"));
        assertFalse(Img.run("map", dir.resolve("none").toString()).assertOneLineError(1).err().isEmpty());
    }
}

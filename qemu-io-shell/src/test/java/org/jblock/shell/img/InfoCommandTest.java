package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class InfoCommandTest {
    @TempDir
    Path dir;

    @Test
    void humanOutputHasQemuImgsLines() throws Exception {
        Path file = dir.resolve("a.raw");
        Files.write(file, new byte[5 << 20]);
        Img.Result r = Img.run("info", "-f", "raw", file.toString()).assertSuccess();
        List<String> lines = r.out().lines().toList();
        assertEquals("image: " + file, lines.get(0));
        assertEquals("file format: raw", lines.get(1));
        assertEquals("virtual size: 5 MiB (5242880 bytes)", lines.get(2));
        assertTrue(lines.get(3).startsWith("disk size: "), lines.get(3));
        assertEquals(4, lines.size(), "raw has no cluster size and no format-specific fields");
    }

    @Test
    void jsonOutputParsesWithStableKeysAndTheFormatsOwnFields() throws Exception {
        Path file = dir.resolve("t.img");
        Img.run("create", "-q", "-f", "testimg", "-o", "corruptions=3", file.toString(), "1M").assertSuccess();
        Img.Result r = Img.run("info", "--output=json", "-f", "testimg", file.toString()).assertSuccess();
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals(List.of("virtual-size", "filename", "cluster-size", "format", "actual-size", "format-specific",
                "dirty-flag"), iterable(json.fieldNames()), "qemu-img's order (dirty-flag last, as for a qcow2 image)");
        assertEquals(1 << 20, json.get("virtual-size").asLong());
        assertEquals(file.toString(), json.get("filename").asText());
        assertEquals(TestDriver.CLUSTER, json.get("cluster-size").asLong());
        assertEquals("testimg", json.get("format").asText());
        assertTrue(json.get("actual-size").asLong() >= 0);
        assertFalse(json.get("dirty-flag").asBoolean());
        assertEquals("testimg", json.at("/format-specific/type").asText());
        assertEquals(3, json.at("/format-specific/data/corruptions").asLong());
    }

    @Test
    void humanOutputListsClusterSizeButLeavesTheFormatsOwnFieldsToJson() throws Exception {
        Path file = dir.resolve("t.img");
        Img.run("create", "-q", "-f", "testimg", file.toString(), "1M").assertSuccess();
        String out = Img.run("info", "-f", "testimg", file.toString()).assertSuccess().out();
        assertTrue(out.endsWith("\ncluster_size: 65536\n"), out);
        assertFalse(out.contains("Format specific information"), out);
    }

    /** The lines qemu-img 7.2 prints for a qcow2 overlay over a VHD, its own fields included. */
    @Test
    void humanOutputOfAQcow2ImageListsItsOwnFieldsAsQemuImgDoes() throws Exception {
        Path base = dir.resolve("b.vhd");
        Img.run("create", "-q", "-f", "vpc", base.toString(), "4M").assertSuccess();
        Path top = dir.resolve("w.qcow2");
        Img.run("create", "-q", "-f", "qcow2", "-F", "vpc", "-b", "b.vhd", top.toString(), "4M").assertSuccess();
        List<String> lines = Img.run("info", top.toString()).assertSuccess().out().lines().toList();
        assertEquals(List.of("cluster_size: 65536", "backing file: b.vhd (actual path: " + base + ")",
                "backing file format: vpc", "Format specific information:", "    compat: 1.1",
                "    compression type: zlib", "    lazy refcounts: false", "    refcount bits: 16",
                "    corrupt: false", "    extended l2: false"), lines.subList(4, lines.size()));
        Path old = dir.resolve("x.qcow2");
        Img.run("create", "-q", "-f", "qcow2", "-o", "compat=0.10", old.toString(), "1M").assertSuccess();
        lines = Img.run("info", old.toString()).assertSuccess().out().lines().toList();
        assertEquals(List.of("cluster_size: 65536", "Format specific information:", "    compat: 0.10",
                "    compression type: zlib", "    refcount bits: 16"), lines.subList(4, lines.size()));
    }

    @Test
    void aDamagedImageFailsWithQemuImgsShortReasonAndCheckTellsWhere() throws Exception {
        Path file = dir.resolve("bad.vhd");
        Img.run("create", "-q", "-f", "vpc", file.toString(), "1M").assertSuccess();
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.WRITE)) {
            channel.write(java.nio.ByteBuffer.allocate(4), 512 + 32);   // the dynamic header's block size
        }
        assertEquals("jblock-img: Could not open '" + file + "': Invalid block size 0\n",
                Img.run("info", file.toString()).assertOneLineError(1).err());
        String check = Img.run("check", file.toString()).out();
        assertTrue(check.contains("Invalid block size 0") && check.contains("544"), check);
    }

    @Test
    void diskSizeIsTheAllocatedSpaceNotTheLength() throws Exception {
        Path file = dir.resolve("sparse.raw");
        Img.run("create", "-q", "-f", "raw", file.toString(), "1G").assertSuccess();
        JsonNode json = new ObjectMapper().readTree(Img.run("info", "--output", "json", file.toString()).out());
        assertTrue(json.get("actual-size").asLong() < (1 << 20), json.toString());
    }

    @Test
    void failuresAreOneLine() throws Exception {
        Path file = dir.resolve("a.raw");
        Files.write(file, new byte[512]);
        assertTrue(Img.run("info", dir.resolve("missing").toString()).assertOneLineError(1).err()
                .contains("Could not open '" + dir.resolve("missing") + "'"));
        assertTrue(Img.run("info", "--output=xml", file.toString()).assertOneLineError(1).err()
                .contains("--output must be used with human or json"));
        assertTrue(Img.run("info", "-f", "nope", file.toString()).assertOneLineError(1).err().contains("Unknown driver"));
        assertTrue(Img.run("info", "-f", "testimg", file.toString()).assertOneLineError(1).err()
                .contains("not a testimg image"));
        assertTrue(Img.run("info", dir.toString()).assertOneLineError(1).err()
                .endsWith("'file' driver requires '" + dir + "' to be a regular file\n"), "qemu-img's words");
        assertTrue(Img.run("info").assertOneLineError(1).err().contains("filename"));
    }

    private static List<String> iterable(java.util.Iterator<String> names) {
        List<String> list = new java.util.ArrayList<>();
        names.forEachRemaining(list::add);
        return list;
    }
}

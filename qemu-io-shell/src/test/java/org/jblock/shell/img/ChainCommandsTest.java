package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.jblock.api.BlockImage;
import org.jblock.registry.OpenSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * jblock-img on VHD chains: create -b, info --backing-chain, map, commit, rebase, convert -B, with
 * qemu-img's syntax and messages; the chain's info and map compared key by key with what qemu-img
 * prints for a qcow2 chain of the same shape.
 */
class ChainCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private String at(String name) {
        return dir.resolve(name).toString();
    }

    private static void write(String file, long offset, int length, int value) throws Exception {
        try (BlockImage image = Img.registry().open(Path.of(file), OpenSpec.readWrite())) {
            byte[] data = new byte[length];
            java.util.Arrays.fill(data, (byte) value);
            image.write(offset, ByteBuffer.wrap(data));
        }
    }

    /** base ← mid ← top, in qemu-iotests' shape: base 512k@512k, mid 1M@1M, top 64k@3M. */
    private void vhdChain() throws Exception {
        Img.run("create", "-q", "-f", "vpc", "-o", "force_size=on", at("base.vhd"), "4M").assertSuccess();
        write(at("base.vhd"), 512 << 10, 512 << 10, 1);
        Img.Result mid = Img.run("create", "-f", "vpc", "-b", "base.vhd", "-F", "vpc", at("mid.vhd")).assertSuccess();
        assertEquals("Formatting '" + at("mid.vhd") + "', fmt=vpc size=4194304 backing_file=base.vhd backing_fmt=vpc\n",
                mid.out());
        write(at("mid.vhd"), 1 << 20, 1 << 20, 2);
        Img.run("create", "-q", "-f", "vpc", "-b", "mid.vhd", at("top.vhd")).assertSuccess();
        write(at("top.vhd"), 3 << 20, 64 << 10, 3);
    }

    private void qcow2Chain() throws Exception {
        QemuImg.run("create", "-q", "-f", "qcow2", at("base.qcow2"), "4M");
        QemuImg.run("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", at("mid.qcow2"));
        QemuImg.run("create", "-q", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", at("top.qcow2"));
        for (String[] w : new String[][] {{"base", "1", "512k", "512k"}, {"mid", "2", "1M", "1M"}, {"top", "3", "3M", "64k"}}) {
            Process io = new ProcessBuilder("qemu-io", "-f", "qcow2", "-c", "write -P " + w[1] + " " + w[2] + " " + w[3],
                    at(w[0] + ".qcow2")).redirectErrorStream(true).start();
            io.getInputStream().readAllBytes();
            assertEquals(0, io.waitFor());
        }
    }

    private static List<String> keys(JsonNode node) {
        List<String> keys = new ArrayList<>();
        node.fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    @Test
    void infoOfTheChainHasQemuImgsKeysAndBackingNames() throws Exception {
        QemuImg.assumeInstalled();
        vhdChain();
        qcow2Chain();
        JsonNode ours = JSON.readTree(Img.run("info", "--backing-chain", "--output=json", at("top.vhd"))
                .assertSuccess().out());
        JsonNode qemu = JSON.readTree(QemuImg.run("info", "--backing-chain", "--output=json", at("top.qcow2")).out());
        assertEquals(qemu.size(), ours.size(), "one object per image");
        for (int i = 0; i < qemu.size(); i++) {
            assertEquals(keys(qemu.get(i)), keys(ours.get(i)), "keys of image " + i + ", in order");
            for (String key : List.of("filename", "backing-filename", "full-backing-filename")) {
                String expected = qemu.get(i).path(key).asText().replace(".qcow2", ".vhd");
                assertEquals(expected, ours.get(i).path(key).asText(), key + " of image " + i);
            }
            assertEquals(qemu.get(i).path("backing-filename-format").asText().replace("qcow2", "vpc"),
                    ours.get(i).path("backing-filename-format").asText());
            assertEquals(qemu.get(i).path("virtual-size").asLong(), ours.get(i).path("virtual-size").asLong());
        }
        String human = Img.run("info", "--backing-chain", at("top.vhd")).assertSuccess().out();
        assertTrue(human.contains("image: " + at("top.vhd") + "\n"), human);
        assertTrue(human.contains("backing file: mid.vhd (actual path: " + at("mid.vhd") + ")\nbacking file format: vpc\n"),
                human);
        assertTrue(human.contains("\n\nimage: " + at("base.vhd") + "\n"), human);
    }

    @Test
    void mapOfTheChainHasQemuImgsRunsAndDepths() throws Exception {
        QemuImg.assumeInstalled();
        vhdChain();
        qcow2Chain();
        JsonNode ours = JSON.readTree(Img.run("map", "--output=json", at("top.vhd")).assertSuccess().out());
        JsonNode qemu = JSON.readTree(QemuImg.run("map", "--output=json", at("top.qcow2")).out());
        assertEquals(qemu.size(), ours.size(), "runs: ours " + ours + " qemu " + qemu);
        for (int i = 0; i < qemu.size(); i++) {
            for (String key : List.of("start", "length", "depth", "data")) {
                assertEquals(qemu.get(i).get(key), ours.get(i).get(key), key + " of run " + i);
            }
            assertEquals(qemu.get(i).has("offset"), ours.get(i).has("offset"), "offset of run " + i);
        }
        String human = Img.run("map", at("top.vhd")).assertSuccess().out();
        List<String> files = human.lines().skip(1).map(l -> l.substring(48)).toList();
        assertEquals(List.of(at("base.vhd"), at("mid.vhd"), at("top.vhd")), files);
    }

    @Test
    void commitPrintsImageCommittedAndKeepsWhatTheTopReads() throws Exception {
        vhdChain();
        Img.run("convert", "-O", "raw", at("top.vhd"), at("before.raw")).assertSuccess();
        assertEquals("Image committed.\n", Img.run("commit", at("top.vhd")).assertSuccess().out());
        assertEquals("Images are identical.\n",
                Img.run("compare", at("before.raw"), at("top.vhd")).assertSuccess().out());
        assertEquals("Images are identical.\n",
                Img.run("compare", at("before.raw"), at("mid.vhd")).assertSuccess().out());
        assertEquals(0, Img.run("check", at("top.vhd")).exitCode(), "the emptied top: no leak, its locators kept");
        assertEquals("Did not find 'nosuch.vhd' in the backing chain of '" + at("top.vhd") + "'",
                Img.run("commit", "-b", "nosuch.vhd", at("top.vhd")).assertOneLineError(1).err().trim()
                        .replaceFirst("^[^:]+: ", ""));
        assertTrue(Img.run("commit", at("base.vhd")).assertOneLineError(1).err()
                .endsWith("Image does not have a backing file\n"));
    }

    @Test
    void rebaseIsSafeByDefaultUnsafeWithUAndFlattensWithAnEmptyName() throws Exception {
        vhdChain();
        Img.run("convert", "-O", "raw", at("top.vhd"), at("before.raw")).assertSuccess();
        Files.copy(dir.resolve("top.vhd"), dir.resolve("unsafe.vhd"));
        assertEquals("", Img.run("rebase", "-b", "base.vhd", "-F", "vpc", at("top.vhd")).assertSuccess().out());
        assertEquals(0, Img.run("compare", at("before.raw"), at("top.vhd")).exitCode());
        assertTrue(Img.run("info", at("top.vhd")).out().contains("backing file: base.vhd"));
        assertEquals(0, Img.run("check", at("top.vhd")).exitCode(), "the new locators are metadata, not a leak");

        Img.run("rebase", "-u", "-b", "base.vhd", at("unsafe.vhd")).assertSuccess();
        assertEquals(1, Img.run("compare", at("before.raw"), at("unsafe.vhd")).exitCode(), "mid's data is gone");

        Img.run("rebase", "-b", "", at("top.vhd")).assertSuccess();
        String info = Img.run("info", at("top.vhd")).out();
        assertTrue(!info.contains("backing file"), info);
        assertEquals(0, Img.run("compare", at("before.raw"), at("top.vhd")).exitCode());

        assertTrue(Img.run("rebase", "-b", "other.vhd", at("unsafe.vhd")).assertOneLineError(1).err()
                .contains("Could not open new backing file 'other.vhd': Could not open '" + at("other.vhd")
                        + "': No such file or directory"));
        assertTrue(Img.run("rebase", "-u", "-b", "", at("base.vhd")).assertOneLineError(1).err()
                .contains("Could not change the backing file to '': "));
    }

    @Test
    void convertFlattensAChainAndKeepsABackingFileWithB() throws Exception {
        vhdChain();
        Img.run("convert", "-O", "raw", at("top.vhd"), at("flat.raw")).assertSuccess();
        try (BlockImage flat = Img.registry().open(dir.resolve("flat.raw"), OpenSpec.readOnlySpec().withFormat("raw"))) {
            ByteBuffer b = ByteBuffer.allocate(512);
            flat.read(1 << 20, b);
            assertEquals(2, b.get(0), "mid's data is in the flat copy");
        }
        Img.run("convert", "-O", "vpc", "-B", "base.vhd", at("top.vhd"), at("over.vhd")).assertSuccess();
        assertEquals(0, Img.run("compare", at("flat.raw"), at("over.vhd")).exitCode());
        assertTrue(Img.run("info", at("over.vhd")).out().contains("backing file: base.vhd"));
        assertTrue(Img.run("convert", "-O", "raw", "-B", "base.vhd", at("top.vhd"), at("x.raw"))
                .assertOneLineError(1).err().contains("Backing file not supported for file format 'raw'"));
    }

    @Test
    void aMissingBackingFileIsNamedByInfoAndRefusedByTheChain() throws Exception {
        vhdChain();
        Files.delete(dir.resolve("mid.vhd"));
        assertTrue(Img.run("info", at("top.vhd")).assertSuccess().out().contains("backing file: mid.vhd"));
        String err = Img.run("info", "--backing-chain", at("top.vhd")).assertOneLineError(1).err();
        assertTrue(err.contains("mid.vhd") && err.contains("not found; tried"), err);
        assertTrue(Img.run("create", "-f", "raw", "-b", "base.vhd", at("r.raw")).assertOneLineError(1).err()
                .contains("Backing file not supported for file format 'raw'"));
    }
}

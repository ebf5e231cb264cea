package org.jblock.tests.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.jblock.api.BlockImage;
import org.jblock.api.Extent;
import org.jblock.registry.OpenSpec;
import org.jblock.tests.interop.RealTools.Result;
import org.jblock.tests.interop.RealTools.Tool;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * jblock's NBD server ({@code org.jblock.nbd.NbdServer}, what {@code jblock-nbd} runs) with real
 * clients as processes: nbdinfo, nbdcopy, qemu-io, qemu-img and libnbd scripts, side by side with
 * qemu-nbd serving the same VHD where their answers can be compared.
 */
class NbdServerInteropTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long SIZE = 64L << 20;

    @TempDir
    Path dir;

    private Path vhd;

    /** A 64 MiB dynamic VHD: data at [0, 4 MiB) and [8, 10 MiB), the rest never written. */
    @BeforeEach
    void makeImage() throws IOException {
        Qemu.require();
        RealTools.require(Tool.QEMU_NBD, Tool.NBDINFO, Tool.NBDCOPY, Tool.NBDSH);
        vhd = NbdServers.sampleVhd(dir);
    }

    @Test
    void nbdinfoSeesTheSameExportAsFromQemuNbd() throws IOException {
        // A copy for qemu-nbd: its read lock and jblock's do not share one file.
        Path twin = dir.resolve("twin.vhd");
        Files.copy(vhd, twin);
        try (NbdServers jblock = NbdServers.jblock(vhd, "vpc", true, 2, dir);
             NbdServers qemu = NbdServers.qemu(twin, "vpc", dir)) {
            JsonNode ours = withoutUri(JSON.readTree(nbdinfo("--json", jblock.uri())));
            JsonNode theirs = withoutUri(JSON.readTree(nbdinfo("--json", qemu.uri())));
            assertEquals(theirs, ours, "nbdinfo --json");
            JsonNode export = ours.get("exports").get(0);
            assertTrue(export.get("is_read_only").asBoolean());
            assertTrue(export.get("can_multi_conn").asBoolean(), "two clients share one image");
            assertEquals(33554432, export.get("block_size_maximum").asLong());

            String map = nbdinfo("--map", jblock.uri());
            assertEquals(nbdinfo("--map", qemu.uri()), map, "nbdinfo --map");
            assertEquals(expectedMap(), map);
        }
    }

    @Test
    void mapAgreesWithQemuImgAndJblockMapsOfTheFile() throws IOException {
        // qemu-img map splits where the host offsets jump; NBD knows no offsets, so merge those runs.
        List<long[]> runs = new ArrayList<>();
        for (Qemu.MapEntry entry : Qemu.map(vhd, "vpc")) {
            long type = entry.data() ? 0 : 3;
            long[] last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
            if (last != null && last[2] == type) {
                last[1] += entry.length();
            } else {
                runs.add(new long[] {entry.start(), entry.length(), type});
            }
        }
        StringBuilder fromQemuImg = new StringBuilder();
        for (long[] run : runs) {
            fromQemuImg.append(run[0]).append(' ').append(run[1]).append(' ').append(run[2]).append('\n');
        }
        // jblock's own map of the file (what jblock-img map prints), as NBD states.
        StringBuilder fromJblock = new StringBuilder();
        try (BlockImage image = JblockImages.REGISTRY.open(vhd, OpenSpec.readOnlySpec())) {
            List<long[]> states = new ArrayList<>();
            for (Extent extent : image.blockStatus(0, image.size())) {
                long type = (extent.data() ? 0 : 1) | (extent.zero() ? 2 : 0);
                long[] last = states.isEmpty() ? null : states.get(states.size() - 1);
                if (last != null && last[2] == type) {
                    last[1] += extent.length();
                } else {
                    states.add(new long[] {extent.start(), extent.length(), type});
                }
            }
            for (long[] state : states) {
                fromJblock.append(state[0]).append(' ').append(state[1]).append(' ').append(state[2]).append('\n');
            }
        }
        assertEquals(fromQemuImg.toString(), fromJblock.toString(), "qemu-img map and jblock's map of the file");
        try (NbdServers jblock = NbdServers.jblock(vhd, "vpc", true, 1, dir)) {
            StringBuilder fromNbd = new StringBuilder();
            for (JsonNode extent : JSON.readTree(nbdinfo("--map", "--json", jblock.uri()))) {
                fromNbd.append(extent.get("offset").asLong()).append(' ').append(extent.get("length").asLong())
                        .append(' ').append(extent.get("type").asInt()).append('\n');
            }
            assertEquals(fromQemuImg.toString(), fromNbd.toString());
        }
    }

    @Test
    void listNamesTheExportAndOneClientIsNotMultiConnection() throws IOException {
        long size = Qemu.info(vhd, "vpc").virtualSize();
        try (NbdServers jblock = NbdServers.jblock(vhd, "vpc", false, 1, dir)) {
            JsonNode list = JSON.readTree(nbdinfo("--list", "--json", "nbd+unix:///?socket=" + jblock.socket));
            assertEquals(1, list.get("exports").size());
            JsonNode export = list.get("exports").get(0);
            assertEquals(NbdServers.EXPORT, export.get("export-name").asText());
            assertEquals(size, export.get("export-size").asLong());
            assertFalse(export.get("is_read_only").asBoolean());
            assertFalse(export.get("can_multi_conn").asBoolean(), "qemu-nbd's default of one client");
            assertTrue(export.get("can_zero").asBoolean() && export.get("can_trim").asBoolean()
                    && export.get("can_fua").asBoolean() && export.get("can_fast_zero").asBoolean());
        }
    }

    @Test
    void nbdcopyOutOfAndIntoAnExport() throws IOException {
        Path copy = dir.resolve("copy.raw");
        try (NbdServers jblock = NbdServers.jblock(vhd, "vpc", true, 4, dir)) {
            RealTools.run(Tool.NBDCOPY, jblock.uri(), copy.toString()).assertSucceeded();
        }
        assertIdentical(Qemu.compare(copy, vhd, "vpc"));

        Path target = dir.resolve("target.vhd");
        Qemu.create(target, "vpc", "", SIZE);
        try (NbdServers jblock = NbdServers.jblock(target, "vpc", false, 4, dir)) {
            RealTools.run(Tool.NBDCOPY, "--flush", copy.toString(), jblock.uri()).assertSucceeded();
        }
        assertIdentical(Qemu.compare(copy, target, "vpc"));
    }

    @Test
    void qemuIoReadsAndWritesPatternsThroughTheExport() throws IOException {
        try (NbdServers jblock = NbdServers.jblock(vhd, "vpc", false, 1, dir)) {
            Result io = RealTools.run(Tool.QEMU_IO, "-f", "raw", "-c", "read -P 0x11 0 4M", "-c", "read -P 0 4M 4M",
                    "-c", "write -P 0x33 20M 1M", "-c", "write -z 9M 512k", "-c", "aio_write -P 0x44 30M 64k",
                    "-c", "aio_write -P 0x55 31M 64k", "-c", "aio_flush", "-c", "read -P 0x33 20M 1M", jblock.uri())
                    .assertSucceeded();
            assertFalse(io.stdout().contains("fail") || io.stdout().contains("error"), io::describe);
        }
        Result check = RealTools.run(Tool.QEMU_IO, "-f", "vpc", "-c", "read -P 0x33 20M 1M", "-c", "read -P 0 9M 512k",
                "-c", "read -P 0x22 9728k 512k", "-c", "read -P 0x44 30M 64k", "-c", "read -P 0x55 31M 64k",
                vhd.toString()).assertSucceeded();
        assertFalse(check.stdout().contains("Pattern verification failed"), check::describe);
    }

    @Test
    void qemuImgConvertsFromTheExport() throws IOException {
        Path converted = dir.resolve("converted.vhd");
        try (NbdServers jblock = NbdServers.jblock(vhd, "vpc", true, 1, dir)) {
            RealTools.run(Tool.QEMU_IMG, "convert", "-f", "raw", "-O", "vpc", jblock.uri(), converted.toString())
                    .assertSucceeded();
        }
        Result compare = RealTools.run(Tool.QEMU_IMG, "compare", "-f", "vpc", "-F", "vpc", vhd.toString(),
                converted.toString());
        assertIdentical(compare);
        assertEquals(Qemu.map(vhd, "vpc").stream().filter(Qemu.MapEntry::data).count(),
                Qemu.map(converted, "vpc").stream().filter(Qemu.MapEntry::data).count(), "holes stay holes");
    }

    @Test
    void libnbdCornerCasesOnAWritableExport() throws IOException {
        try (NbdServers jblock = NbdServers.jblock(vhd, "vpc", false, 1, dir)) {
            Result result = libnbd("corner-cases.py", jblock.uri());
            assertEquals("ok\n", result.stdout(), result::describe);
        }
        Result check = RealTools.run(Tool.QEMU_IO, "-f", "vpc", "-c", "read -P 0xab 12M 4k", "-c", "read -P 0 1M 1M",
                vhd.toString()).assertSucceeded();
        assertFalse(check.stdout().contains("Pattern verification failed"), check::describe);
    }

    @Test
    void fastZeroSucceedsOverDataWhereTheStorageZeroes() throws IOException {
        // A raw image on an NBD server that offers WRITE_ZEROES: zeroing data costs one request, not its bytes.
        Path raw = dir.resolve("data.raw");
        byte[] data = new byte[4 << 20];
        java.util.Arrays.fill(data, (byte) 0x11);
        Files.write(raw, data);
        try (NbdServers qemu = NbdServers.qemuWritable(raw, "raw", dir);
             NbdServers jblock = NbdServers.jblock(qemu.uri(), "raw", dir)) {
            Result result = libnbd("fast-zero.py", jblock.uri());
            assertEquals("ok\n", result.stdout(), result::describe);
        }
        byte[] back = Files.readAllBytes(raw);
        assertEquals(data.length, back.length);
        for (int i = 0; i < back.length; i++) {
            byte expected = i >= (1 << 20) && i < (3 << 20) ? 0 : (byte) 0x11;
            if (back[i] != expected) {
                throw new AssertionError("byte " + i + " is " + back[i] + ", not " + expected);
            }
        }
    }

    @Test
    void aReadOnlyExportRefusesWritesWithEperm() throws IOException {
        try (NbdServers jblock = NbdServers.jblock(vhd, "vpc", true, 1, dir)) {
            Result result = libnbd("read-only.py", jblock.uri());
            assertEquals("ok\n", result.stdout(), result::describe);
        }
        Qemu.io(vhd, "vpc", List.of("read -P 0x11 0 4M"));
    }

    @Test
    void eightClientsAtOnce() throws IOException {
        try (NbdServers jblock = NbdServers.jblock(vhd, "vpc", false, 8, dir)) {
            List<CompletableFuture<Result>> clients = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                int client = i;
                clients.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        String at = (16 + 4 * client) + "M";
                        String pattern = "0x" + Integer.toHexString(0x60 + client);
                        return RealTools.run(Duration.ofMinutes(2), List.of(
                                RealTools.locate(Tool.QEMU_IO).orElseThrow(), "-f", "raw",
                                "-c", "write -P " + pattern + " " + at + " 3M", "-c", "read -P " + pattern + " " + at + " 3M",
                                "-c", "read -P 0x11 0 4M", jblock.uri()));
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }));
            }
            for (CompletableFuture<Result> client : clients) {
                Result result = client.join().assertSucceeded();
                assertFalse(result.stdout().contains("fail"), result::describe);
            }
        }
        List<String> reads = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            reads.add("read -P 0x" + Integer.toHexString(0x60 + i) + " " + (16 + 4 * i) + "M 3M");
        }
        Qemu.io(vhd, "vpc", reads);
    }

    private String expectedMap() {
        return String.format("%10d %11d %4d  data%n%10d %11d %4d  hole,zero%n%10d %11d %4d  data%n%10d %11d %4d  hole,zero%n",
                0, 4 << 20, 0, 4 << 20, 4 << 20, 3, 8 << 20, 2 << 20, 0, 10 << 20, 67125248 - (10 << 20), 3);
    }

    private static String nbdinfo(String... arguments) throws IOException {
        return RealTools.run(Tool.NBDINFO, arguments).assertSucceeded().stdout();
    }

    private Result libnbd(String script, String uri) throws IOException {
        Path file = dir.resolve(script);
        try (var in = NbdServerInteropTest.class.getResourceAsStream("/nbd/" + script)) {
            Files.copy(in, file);
        }
        return RealTools.run(Tool.NBDSH, file.toString(), uri);
    }

    private static JsonNode withoutUri(JsonNode info) {
        for (JsonNode export : info.get("exports")) {
            ((ObjectNode) export).remove("uri");
        }
        return info;
    }

    private static void assertIdentical(Result compare) {
        assertEquals(0, compare.exitCode(), compare::describe);
        assertTrue(compare.stdout().contains("Images are identical."), compare::describe);
    }
}

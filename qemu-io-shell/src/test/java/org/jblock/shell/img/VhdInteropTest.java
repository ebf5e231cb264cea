package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Random;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** jblock-img and the real qemu-img on the same VHD files: info, map, compare and convert agree. */
class VhdInteropTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @BeforeEach
    void needsQemuImg() {
        QemuImg.assumeInstalled();
    }

    private static void qemuImg(String... args) throws Exception {
        QemuImg.Result r = QemuImg.run(args);
        assertEquals(0, r.exitCode(), () -> "qemu-img " + String.join(" ", args) + ": " + r.err());
    }

    /** A raw file with data in some 2 MiB blocks (whole, partial, scattered sectors) and zeros in others. */
    private Path mixedRaw(String name, int megabytes) throws Exception {
        byte[] content = new byte[megabytes << 20];
        Random random = new Random(megabytes);
        for (int at = 0; at < content.length; at += 64 << 10) {
            int block = at >> 21;
            if (block % 3 == 0 || (block % 3 == 1 && random.nextInt(8) == 0)) {
                byte[] run = new byte[64 << 10];
                random.nextBytes(run);
                System.arraycopy(run, 0, content, at, run.length);
            }
        }
        return Files.write(dir.resolve(name), content);
    }

    /** A dynamic VHD written by qemu-img, with data in a few blocks. */
    private Path qemuVhd(String name) throws Exception {
        Path raw = mixedRaw(name + ".raw", 24);
        Path vhd = dir.resolve(name);
        qemuImg("convert", "-f", "raw", "-O", "vpc", raw.toString(), vhd.toString());
        return vhd;
    }

    @Test
    void infoJsonAgreesWithQemuImgFieldByField() throws Exception {
        Path vhd = qemuVhd("q.vhd");
        JsonNode theirs = JSON.readTree(QemuImg.run("info", "--output=json", "-f", "vpc", vhd.toString()).out());
        JsonNode ours = JSON.readTree(Img.run("info", "--output=json", "-f", "vpc", vhd.toString()).assertSuccess().out());
        for (Iterator<String> it = theirs.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (key.equals("children")) {
                continue; // qemu 8.0+ describes its protocol layer too; jblock-img has no such node
            }
            assertEquals(theirs.get(key), ours.get(key), "field " + key + ": qemu-img " + theirs + " vs " + ours);
        }
        assertEquals(2 << 20, ours.get("cluster-size").asLong());
    }

    /**
     * A file name with characters JSON escapes comes out of {@code info --output=json} as the same
     * bytes from both tools: scripts compare such output as text.
     */
    @Test
    void awkwardFileNamesAreEscapedInJsonAsQemuImgEscapesThem() throws Exception {
        String name = "tab\tctl\u0001del\u007fquote\"back\\slash";
        if (StandardCharsets.UTF_8.name().equals(System.getProperty("sun.jnu.encoding"))) {
            name += " accent\u00e9 euro\u20ac emoji\ud83d\ude00"; // names beyond ASCII need a UTF-8 locale
        }
        Path vhd = dir.resolve(name + ".vhd");
        qemuImg("create", "-f", "vpc", vhd.toString(), "1M");
        String theirs = filenameLine(QemuImg.run("info", "--output=json", vhd.toString()).out());
        String ours = filenameLine(Img.run("info", "--output=json", vhd.toString()).assertSuccess().out());
        assertTrue(theirs.contains("\\u0001") && theirs.contains("\\t"), theirs);
        assertEquals(theirs, ours);
    }

    private static String filenameLine(String json) {
        return json.lines().filter(line -> line.trim().startsWith("\"filename\":")).findFirst().orElseThrow();
    }

    @Test
    void mapJsonAgreesWithQemuImgEntryByEntry() throws Exception {
        Path vhd = qemuVhd("m.vhd");
        JsonNode theirs = JSON.readTree(QemuImg.run("map", "--output=json", "-f", "vpc", vhd.toString()).out());
        JsonNode ours = JSON.readTree(Img.run("map", "--output=json", "-f", "vpc", vhd.toString()).assertSuccess().out());
        assertTrue(theirs.size() > 3, "the image has several runs: " + theirs);
        assertEquals(theirs.size(), ours.size(), () -> "qemu-img " + theirs + "\njblock-img " + ours);
        for (int i = 0; i < theirs.size(); i++) {
            for (String key : new String[] {"start", "length", "depth", "present", "zero", "data", "offset"}) {
                assertEquals(theirs.get(i).get(key), ours.get(i).get(key), "entry " + i + " field " + key
                        + ": qemu-img " + theirs.get(i) + " vs " + ours.get(i));
            }
        }
    }

    @Test
    void compareAgreesWithQemuImgOnVhdPairs() throws Exception {
        Path a = qemuVhd("a.vhd");
        Path b = qemuVhd("b.vhd");
        assertSameVerdict(a, b);
        Path raw = dir.resolve("a.vhd.raw");
        assertSameVerdict(a, raw);

        qemuIo(b, "write -P 0x5a 5000k 512");
        assertSameVerdict(a, b);
    }

    /** Writes into {@code image} with the real qemu-io (installed with qemu-img). */
    private static void qemuIo(Path image, String command) throws Exception {
        Process p = new ProcessBuilder("qemu-io", "-f", "vpc", "-c", command, image.toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), output);
    }

    private static void assertSameVerdict(Path a, Path b) throws Exception {
        String fb = b.toString().endsWith(".raw") ? "raw" : "vpc";
        QemuImg.Result theirs = QemuImg.run("compare", "-f", "vpc", "-F", fb, a.toString(), b.toString());
        Img.Result ours = Img.run("compare", "-f", "vpc", "-F", fb, a.toString(), b.toString());
        assertEquals(theirs.exitCode(), ours.exitCode(), "exit code; qemu-img said " + theirs.out() + theirs.err());
        assertEquals(theirs.out(), ours.out());
    }

    @Test
    void vhdsMadeByJblockImgAreIdenticalToTheSourceByQemuImg() throws Exception {
        Path raw = mixedRaw("src.raw", 20);
        Path vhd = dir.resolve("ours.vhd");
        Img.run("convert", "-f", "raw", "-O", "vpc", raw.toString(), vhd.toString()).assertSuccess();
        QemuImg.assertIdentical("raw", raw, "vpc", vhd);

        Path back = dir.resolve("back.raw");
        Img.run("convert", "-W", "-f", "vpc", "-O", "raw", vhd.toString(), back.toString()).assertSuccess();
        QemuImg.assertIdentical("raw", raw, "raw", back);
    }

    @Test
    void vhdsMadeByQemuImgAreIdenticalToTheSourceByJblockImg() throws Exception {
        Path raw = mixedRaw("src.raw", 20);
        Path vhd = dir.resolve("theirs.vhd");
        qemuImg("convert", "-f", "raw", "-O", "vpc", raw.toString(), vhd.toString());
        Img.run("compare", "-f", "raw", "-F", "vpc", raw.toString(), vhd.toString()).assertSuccess();
        Path fixed = dir.resolve("fixed.vhd");
        qemuImg("convert", "-f", "raw", "-O", "vpc", "-o", "subformat=fixed", raw.toString(), fixed.toString());
        Img.run("compare", "-f", "raw", "-F", "vpc", raw.toString(), fixed.toString()).assertSuccess();
    }
}

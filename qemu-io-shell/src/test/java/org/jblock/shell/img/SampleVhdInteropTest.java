package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * VHDs made by Virtual PC and Hyper-V (the shared samples): jblock-img's info and map JSON agree
 * with qemu-img's field by field, including the virtual size each creator implies.
 */
class SampleVhdInteropTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /**
     * The packed sample: in {@code $JBLOCK_SHARED_DIR/testdata/vhd}, or (in a worktree that is not
     * beside the shared folder) in the nearest {@code shared/testdata/vhd} above; null when neither has it.
     */
    private static Path packedSample(String name) {
        List<Path> roots = new ArrayList<>();
        String shared = System.getenv("JBLOCK_SHARED_DIR");
        if (shared != null) {
            roots.add(Path.of(shared));
        }
        for (Path at = Path.of("").toAbsolutePath(); at != null; at = at.getParent()) {
            roots.add(at.resolve("shared"));
        }
        for (Path root : roots) {
            Path candidate = root.resolve("testdata").resolve("vhd").resolve(name + ".bz2");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private Path sample(String name) throws Exception {
        Path packed = packedSample(name);
        if (packed == null) {
            String why = "the shared sample image " + name + " is not found (JBLOCK_SHARED_DIR)";
            if ("true".equals(System.getenv("CI"))) {
                fail(why);
            }
            Assumptions.assumeTrue(false, why);
        }
        Path image = dir.resolve(name);
        try (InputStream in = new BZip2CompressorInputStream(Files.newInputStream(packed))) {
            Files.copy(in, image);
        }
        return image;
    }

    @ParameterizedTest
    @ValueSource(strings = {"virtualpc-dynamic.vhd", "hyperv2012r2-dynamic.vhd"})
    void infoAndMapAgreeWithQemuImg(String name) throws Exception {
        QemuImg.assumeInstalled();
        Path image = sample(name);
        JsonNode theirs = JSON.readTree(QemuImg.run("info", "--output=json", "-f", "vpc", image.toString()).out());
        JsonNode ours = JSON.readTree(Img.run("info", "--output=json", "-f", "vpc", image.toString()).assertSuccess().out());
        for (Iterator<String> it = theirs.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!key.equals("children")) {
                assertEquals(theirs.get(key), ours.get(key), name + " field " + key);
            }
        }
        JsonNode theirMap = JSON.readTree(QemuImg.run("map", "--output=json", "-f", "vpc", image.toString()).out());
        JsonNode ourMap = JSON.readTree(Img.run("map", "--output=json", "-f", "vpc", image.toString()).assertSuccess().out());
        assertEquals(theirMap, ourMap, name + " map");
    }
}

package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class CheckCommandTest {
    @TempDir
    Path dir;

    private String image(String options) {
        String file = dir.resolve("c.img").toString();
        Img.run("create", "-q", "-f", "testimg", "-o", options, file, "1M").assertSuccess();
        return file;
    }

    @Test
    void aCleanImageExitsZero() {
        Img.Result r = Img.run("check", "-f", "testimg", image("leaks=0")).assertSuccess();
        assertTrue(r.out().startsWith("No errors were found on the image.\n"), r.out());
        assertTrue(r.out().contains("1/16 = 6.25% allocated"), r.out());
        assertTrue(r.out().contains("Image end offset: " + (512 + (1 << 20))), r.out());
    }

    @Test
    void corruptionsExitTwoAndLeaksOnlyExitThree() {
        Img.Result corrupt = Img.run("check", "-f", "testimg", image("corruptions=2,leaks=1"));
        assertEquals(CheckCommand.CORRUPTIONS, corrupt.exitCode());
        assertTrue(corrupt.out().contains("ERROR cluster 0 is referenced twice (at offset 512)"), corrupt.out());
        assertTrue(corrupt.out().contains("\n2 errors were found on the image.\n"), corrupt.out());
        assertTrue(corrupt.out().contains("\n1 leaked clusters were found on the image.\n"), corrupt.out());

        Img.Result leaky = Img.run("check", "-f", "testimg", image("leaks=4"));
        assertEquals(CheckCommand.LEAKS, leaky.exitCode());
        assertTrue(leaky.out().contains("4 leaked clusters were found"), leaky.out());
    }

    @Test
    void repairingLeaksLeavesCorruptionsAndDoubleChecks() {
        String file = image("corruptions=1,leaks=3");
        Img.Result r = Img.run("check", "-r", "leaks", "-f", "testimg", file);
        assertEquals(CheckCommand.CORRUPTIONS, r.exitCode(), r.out());
        assertTrue(r.out().startsWith("The following inconsistencies were found and repaired:\n\n    3 leaked clusters\n"
                + "    0 corruptions\n\nDouble checking the fixed image now...\n"), r.out());
        // The repair reached the file: a new check finds the corruption only.
        Img.Result again = Img.run("check", "-f", "testimg", file);
        assertEquals(CheckCommand.CORRUPTIONS, again.exitCode());
        assertTrue(!again.out().contains("leaked"), again.out());

        assertEquals(CheckCommand.CLEAN, Img.run("check", "-r", "all", "-f", "testimg", file).exitCode());
        assertEquals(CheckCommand.CLEAN, Img.run("check", "-f", "testimg", file).exitCode());
    }

    @Test
    void jsonReportHasStableKeys() throws Exception {
        Img.Result r = Img.run("check", "--output=json", "-f", "testimg", image("corruptions=1,leaks=2"));
        assertEquals(CheckCommand.CORRUPTIONS, r.exitCode());
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals("testimg", json.get("format").asText());
        assertEquals(1, json.get("corruptions").asLong());
        assertEquals(2, json.get("leaks").asLong());
        assertEquals(0, json.get("leaks-fixed").asLong());
        assertEquals(16, json.get("total-clusters").asLong());
        assertEquals(0, json.get("check-errors").asLong());
    }

    @Test
    void aFormatWithoutChecksExitsSixtyThree() throws Exception {
        Path raw = dir.resolve("a.raw");
        Files.write(raw, new byte[4096]);
        Img.Result r = Img.run("check", "-f", "raw", raw.toString()).assertOneLineError(CheckCommand.NOT_SUPPORTED);
        assertEquals("jblock-img: This image format does not support checks\n", r.err());
    }

    @Test
    void aCheckThatCannotRunExitsOne() {
        Img.run("check", "-f", "testimg", dir.resolve("missing.img").toString()).assertOneLineError(CheckCommand.FAILED);
        Img.run("check", "-r", "some", "-f", "testimg", image("leaks=0")).assertOneLineError(CheckCommand.FAILED);
    }

    @Test
    void quietPrintsNothingAndTheExitCodeTells() {
        Img.Result r = Img.run("check", "-q", "-f", "testimg", image("leaks=1"));
        assertEquals(CheckCommand.LEAKS, r.exitCode());
        assertEquals("", r.out());
    }
}

package org.jblock.driver.vpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;

/**
 * The real peers (qemu-img, qemu-io, vhdiinfo) run as processes. A missing tool skips the test with a
 * message naming it, except when the environment variable {@code CI} is {@code true}: then it fails.
 */
final class RealTools {
    private static final long TIMEOUT_SECONDS = 120;

    private RealTools() {
    }

    /** The system Python, which has the distribution's pyvhdi module (a pyenv python may not). */
    static final String PYTHON = "/usr/bin/python3";

    /** Skips (or, in CI, fails) the calling test unless every tool is on the PATH. */
    static void require(String... tools) {
        for (String tool : tools) {
            if (find(tool) == null) {
                missing(tool + " is not installed (Debian: qemu-utils, libvhdi-utils)");
            }
        }
    }

    /** Skips (or, in CI, fails) the calling test unless the system Python has pyvhdi. */
    static void requirePyvhdi() throws InterruptedException {
        boolean present = false;
        if (Files.isExecutable(Paths.get(PYTHON))) {
            try {
                Process p = new ProcessBuilder(PYTHON, "-c", "import pyvhdi").redirectErrorStream(true).start();
                p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
                present = p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS) && p.exitValue() == 0;
            } catch (IOException e) {
                present = false;
            }
        }
        if (!present) {
            missing("pyvhdi is not installed for " + PYTHON + " (Debian: python3-libvhdi)");
        }
    }

    private static void missing(String what) {
        String message = what + "; the interop test cannot run";
        if ("true".equals(System.getenv("CI"))) {
            fail(message + ", and CI=true makes that a failure");
        }
        Assumptions.assumeTrue(false, message);
    }

    private static Path find(String tool) {
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "" : path).split(File.pathSeparator)) {
            Path candidate = Paths.get(dir, tool);
            if (!dir.isEmpty() && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /** Runs a command, expecting exit code 0, and returns its standard output and error together. */
    static String run(String... command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true);
        Process process = builder.start();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        try (InputStream in = process.getInputStream()) {
            in.transferTo(output);
        }
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail(String.join(" ", command) + " did not finish in " + TIMEOUT_SECONDS + " s");
        }
        String text = output.toString(StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), String.join(" ", command) + " failed:\n" + text);
        return text;
    }

    /** Runs a command and returns its exit code (its output is dropped). */
    static int exitCode(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail(String.join(" ", command) + " did not finish in " + TIMEOUT_SECONDS + " s");
        }
        return process.exitValue();
    }
}

package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;

/** The real qemu-img, run as a process; tests that need it skip when it is absent, and fail in CI. */
final class QemuImg {
    private static final String TOOL = "qemu-img";

    /** What one run printed and returned. */
    record Result(int exitCode, String out, String err) {
    }

    private QemuImg() {
    }

    /** Skips the calling test with a message naming qemu-img when it is not installed (fails when CI=true). */
    static void assumeInstalled() {
        boolean installed;
        try {
            installed = run("--version").exitCode() == 0;
        } catch (IOException e) {
            installed = false;
        }
        if (!installed) {
            String message = TOOL + " is not installed: the comparison with the real tool is skipped";
            if ("true".equals(System.getenv("CI"))) {
                fail(message + " (CI=true requires it)");
            }
            Assumptions.assumeTrue(false, message);
        }
    }

    /** Asserts that {@code qemu-img compare} finds the two images identical (exit code 0). */
    static void assertIdentical(String formatA, Path a, String formatB, Path b) throws IOException {
        Result verdict = run("compare", "-f", formatA, "-F", formatB, a.toString(), b.toString());
        assertEquals(0, verdict.exitCode(), "qemu-img compare " + a + " " + b + ": " + verdict.out() + verdict.err());
    }

    static Result run(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(TOOL);
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).start();
        try {
            byte[] out = process.getInputStream().readAllBytes();
            byte[] err = process.getErrorStream().readAllBytes();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(TOOL + " did not finish: " + command);
            }
            return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8),
                    new String(err, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command, e);
        }
    }
}

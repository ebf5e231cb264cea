package org.jblock.tests.interop;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.opentest4j.TestAbortedException;

/**
 * The real tools the interop suites compare jblock with, run as separate processes.
 *
 * <p>A suite calls {@link #require} first: a missing tool skips the test with a message naming the
 * package to install, except under CI ({@code CI=true}), where a missing tool is a failure, so that
 * a green CI run always means the comparisons ran.
 */
public final class RealTools {
    /** Long enough for a convert of a few hundred MiB on a slow, shared machine. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(3);

    /** A tool the suites run, and the Debian package that brings it. */
    public enum Tool {
        QEMU_IMG("qemu-img", "qemu-utils"),
        QEMU_IO("qemu-io", "qemu-utils"),
        VHDIINFO("vhdiinfo", "libvhdi-utils"),
        /** A python3 that can {@code import pyvhdi}; its command is that interpreter. */
        PYVHDI("pyvhdi", "python3-libvhdi"),
        /** A web server that serves byte ranges, for images read over HTTP. */
        NGINX("nginx", "nginx-light"),
        /** man-db's man, which formats the distribution's man pages. */
        MAN("man", "man-db groff-base"),
        /** util-linux's script, which runs a command on a pseudo-terminal. */
        SCRIPT("script", "bsdutils"),
        QEMU_NBD("qemu-nbd", "qemu-utils"),
        NBDINFO("nbdinfo", "libnbd-bin"),
        NBDCOPY("nbdcopy", "libnbd-bin"),
        /** A python3 that can {@code import nbd} (libnbd, what nbdsh runs); its command is that interpreter. */
        NBDSH("nbdsh", "python3-libnbd"),
        NBDKIT("nbdkit", "nbdkit"),
        /** OpenSSH's server, which tests start on 127.0.0.1 as the current user. */
        SSHD("sshd", "openssh-server"),
        SSH("ssh", "openssh-client"),
        SSH_KEYGEN("ssh-keygen", "openssh-client");

        final String displayName;
        final String debianPackage;

        Tool(String displayName, String debianPackage) {
            this.displayName = displayName;
            this.debianPackage = debianPackage;
        }
    }

    /** What a finished process said. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {

        /** @return this result, after failing the test unless the process exited with 0 */
        public Result assertSucceeded() {
            if (exitCode != 0) {
                fail(describe());
            }
            return this;
        }

        public String describe() {
            return String.join(" ", command) + " exited with " + exitCode
                    + "\n--- stdout:\n" + stdout + "\n--- stderr:\n" + stderr;
        }
    }

    private static final Map<Tool, Optional<String>> LOCATED = new ConcurrentHashMap<>();

    private RealTools() {
    }

    /**
     * Makes the test stop unless every tool is present: a skip with a clear message, or a failure
     * when the environment variable {@code CI} is {@code true}.
     */
    public static void require(Tool... tools) {
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        for (Tool tool : tools) {
            if (locate(tool).isEmpty()) {
                stopForMissing(tool, ci);
            }
        }
    }

    /** Skips (or, under CI, fails) the current test because {@code tool} is absent. */
    static void stopForMissing(Tool tool, boolean ci) {
        String message = tool.displayName + " not found: install " + tool.debianPackage;
        if (ci) {
            fail(message + " (required when CI=true)");
        }
        throw new TestAbortedException(message);
    }

    /** @return the command that runs {@code tool}, when it is installed */
    public static Optional<String> locate(Tool tool) {
        return LOCATED.computeIfAbsent(tool, t -> t == Tool.PYVHDI ? findPythonWith("pyvhdi")
                : t == Tool.NBDSH ? findPythonWith("nbd") : onPath(t.displayName));
    }

    /** Runs {@code tool} with {@code arguments}; the tool must have been {@linkplain #require required}. */
    public static Result run(Tool tool, String... arguments) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(locate(tool).orElseThrow(() -> new IllegalStateException(tool + " was not required first")));
        command.addAll(List.of(arguments));
        return run(DEFAULT_TIMEOUT, command);
    }

    /**
     * Runs {@code command}, capturing its output in files (no pipe can fill up and block it).
     * A process still running after {@code timeout} is killed and the test fails.
     */
    public static Result run(Duration timeout, List<String> command) throws IOException {
        Path out = Files.createTempFile("jblock-tool", ".out");
        Path err = Files.createTempFile("jblock-tool", ".err");
        try {
            Process process = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            boolean finished;
            try {
                finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for " + command, e);
            }
            if (!finished) {
                process.destroyForcibly();
                fail(String.join(" ", command) + " did not finish within " + timeout + " and was killed");
            }
            return new Result(List.copyOf(command), process.exitValue(),
                    Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /**
     * Looks in the PATH, then in the system folders where Debian puts servers ({@code nginx} is in
     * {@code /usr/sbin}, which a user's PATH often lacks).
     */
    private static Optional<String> onPath(String name) {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("") + File.pathSeparator + "/usr/sbin"
                + File.pathSeparator + "/sbin";
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate.toString());
            }
        }
        return Optional.empty();
    }

    /**
     * Debian's Python modules live in the system interpreter, which a version manager's
     * {@code python3} on the PATH may hide: try {@code /usr/bin/python3} first, then the PATH's.
     */
    private static Optional<String> findPythonWith(String module) {
        List<String> candidates = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/python3"))) {
            candidates.add("/usr/bin/python3");
        }
        onPath("python3").ifPresent(candidates::add);
        for (String python : candidates) {
            try {
                if (run(Duration.ofSeconds(30), List.of(python, "-c", "import " + module)).exitCode() == 0) {
                    return Optional.of(python);
                }
            } catch (IOException e) {
                // This interpreter cannot run here; the next candidate may.
            }
        }
        return Optional.empty();
    }
}

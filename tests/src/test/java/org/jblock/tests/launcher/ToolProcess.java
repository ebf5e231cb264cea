package org.jblock.tests.launcher;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A command run as a process in a folder, with some environment, stdin text, and a time limit. */
final class ToolProcess {
    static final long TIMEOUT_SECONDS = 300;

    /**
     * @return the clone's root, once its launchers have packaged jars to run (else the test is
     *         skipped: the launchers run what {@code ./mvnw package} made)
     */
    static Path repoWithBuiltLaunchers() throws IOException {
        Path repo = Path.of("").toAbsolutePath().getParent();
        Path lib = repo.resolve("dist/target/lib");
        boolean built = Files.isDirectory(lib);
        if (built) {
            try (DirectoryStream<Path> jars = Files.newDirectoryStream(lib, "qemu-io-shell-*.jar")) {
                built = jars.iterator().hasNext();
            }
        }
        assumeTrue(built, "the launcher runs the packaged jars: run ./mvnw verify (or package) to test it");
        assertTrue(Files.isExecutable(repo.resolve("bin/jblock-io")), "bin/jblock-io is missing or not executable");
        return repo;
    }

    /** What a process printed and how it ended. */
    record Run(int status, String out, String err) {
        String all() {
            return "exit " + status + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private final ProcessBuilder builder;
    private final String stdin;

    private ToolProcess(ProcessBuilder builder, String stdin) {
        this.builder = builder;
        this.stdin = stdin;
    }

    /**
     * {@code command} in {@code folder}, with the environment of this JVM less the variables the
     * launchers read, plus {@code environment}.
     */
    static ToolProcess of(List<String> command, Path folder, Map<String, String> environment, String stdin) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(folder.toFile());
        for (String variable : List.of("JBLOCK_DRIVER_PATH", "JBLOCK_JAVA", "JBLOCK_NO_BUILD", "JBLOCK_NO_CLASS_ARCHIVE")) {
            builder.environment().remove(variable);
        }
        builder.environment().putAll(environment);
        return new ToolProcess(builder, stdin);
    }

    /** Starts the process; {@link Started#await} collects its end. */
    Started start() {
        try {
            Process process = builder.start();
            try (OutputStream in = process.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            return new Started(process, drain(process.getInputStream()), drain(process.getErrorStream()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Run run() {
        return start().await();
    }

    /** A running process whose output is being collected. */
    final class Started {
        private final Process process;
        private final CompletableFuture<String> out;
        private final CompletableFuture<String> err;

        Started(Process process, CompletableFuture<String> out, CompletableFuture<String> err) {
            this.process = process;
            this.out = out;
            this.err = err;
        }

        Process process() {
            return process;
        }

        Run await() {
            try {
                if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                    throw new AssertionError(String.join(" ", builder.command()) + " did not finish in "
                            + TIMEOUT_SECONDS + " s");
                }
                return new Run(process.exitValue(), out.join(), err.join());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    private static CompletableFuture<String> drain(InputStream stream) {
        // A thread each: the common pool may have a single thread, and a process blocked on a full
        // stderr pipe would never close stdout.
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, runnable -> new Thread(runnable, "drain").start());
    }
}

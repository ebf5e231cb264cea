package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

import org.jblock.api.spi.BlockDriver;
import org.jblock.registry.DriverRegistry;

/** Runs jblock-img in this JVM with captured output, with the installed drivers and the test driver. */
final class Img {
    /** What one run printed and returned. */
    record Result(int exitCode, String out, String err) {
        /** Asserts a failure reported as exactly one line, with no stack trace. */
        Result assertOneLineError(int expectedExitCode) {
            assertEquals(expectedExitCode, exitCode, () -> "exit code; err: " + err + " out: " + out);
            assertEquals(1, err.lines().count(), () -> "one line expected on stderr: " + err);
            assertFalse(err.contains("\tat "), () -> "stack trace on stderr: " + err);
            assertFalse(err.contains("Exception"), () -> "exception class name on stderr: " + err);
            return this;
        }

        /**
         * Asserts QEMU's lock failure: exit 1, the reason on one line and
         * {@code Is another process using the image [file]?} on the next, nothing else.
         */
        Result assertLockError(String reason, String file) {
            assertEquals(1, exitCode, () -> "exit code; err: " + err + " out: " + out);
            assertTrue(err.endsWith(": " + reason + "\nIs another process using the image [" + file + "]?\n"), err);
            assertEquals(2, err.lines().count(), () -> "QEMU's two lines expected on stderr: " + err);
            return this;
        }

        Result assertSuccess() {
            assertEquals(0, exitCode, () -> "exit code; err: " + err + " out: " + out);
            assertEquals("", err, "nothing on stderr");
            return this;
        }
    }

    private Img() {
    }

    static DriverRegistry registry() {
        List<BlockDriver> drivers = new ArrayList<>(DriverRegistry.load().drivers());
        drivers.add(new TestDriver());
        return DriverRegistry.of(drivers.toArray(new BlockDriver[0]));
    }

    static Result run(String... args) {
        return run(registry(), false, args);
    }

    /** As {@link #run(String...)}, with the drivers of {@code registry}. */
    static Result run(DriverRegistry registry, String... args) {
        return run(registry, false, args);
    }

    /** As {@link #run(String...)}, as if stdin and stdout were a terminal. */
    static Result runOnTerminal(String... args) {
        return run(registry(), true, args);
    }

    /**
     * As {@link #run(String...)}, with only the subcommands the tool's {@code main} builds for these
     * arguments ({@link JblockImg#subcommandsNeeded}), where the other runs build every one.
     */
    static Result runAsMain(String... args) {
        return run(registry(), false, JblockImg.subcommandsNeeded(args), args);
    }

    private static Result run(DriverRegistry registry, boolean terminal, String... args) {
        return run(registry, terminal, JblockImg.subcommandsNeeded(new String[] {"--help"}), args);
    }

    private static Result run(DriverRegistry registry, boolean terminal, java.util.Set<String> subcommands,
                              String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exitCode = JblockImg.commandLine(registry, terminal, new PrintWriter(out, true), new PrintWriter(err, true),
                subcommands).execute(args);
        return new Result(exitCode, out.toString(), err.toString());
    }
}

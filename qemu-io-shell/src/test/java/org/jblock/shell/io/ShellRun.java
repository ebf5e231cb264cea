package org.jblock.shell.io;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.jblock.registry.DriverRegistry;

/** A shell whose stdout and stderr are captured, for tests. */
final class ShellRun implements AutoCloseable {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    final IoShell shell = new IoShell(DriverRegistry.load(), new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));

    /** Runs each line and returns the shell. */
    IoShell run(String... lines) {
        for (String line : lines) {
            shell.dispatch(line);
        }
        return shell;
    }

    /** @return stdout so far, then forgets it */
    String takeOut() {
        String text = out.toString(StandardCharsets.UTF_8);
        out.reset();
        return text;
    }

    /** @return stderr so far, then forgets it */
    String takeErr() {
        String text = err.toString(StandardCharsets.UTF_8);
        err.reset();
        return text;
    }

    @Override
    public void close() {
        shell.close();
    }
}

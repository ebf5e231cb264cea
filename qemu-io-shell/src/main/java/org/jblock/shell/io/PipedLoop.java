package org.jblock.shell.io;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Commands from a stdin that is not a terminal: qemu-io prints its prompt (no newline) before
 * reading each line, including the read that meets the end of input.
 */
final class PipedLoop {
    static final String PROMPT = IoShell.PROGRAM + "> ";

    private PipedLoop() {
    }

    static void run(IoShell shell, InputStream in) {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        while (!shell.quitRequested()) {
            shell.out(PROMPT);
            String line;
            try {
                line = reader.readLine();
            } catch (IOException e) {
                shell.err(IoShell.PROGRAM + ": cannot read commands: " + IoShell.messageText(e) + "\n");
                return;
            }
            if (line == null) {
                return;
            }
            shell.dispatch(line.replace("\r", ""));
        }
    }
}

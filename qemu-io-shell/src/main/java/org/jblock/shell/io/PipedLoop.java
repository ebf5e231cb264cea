package org.jblock.shell.io;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
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
        Reader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        while (!shell.quitRequested()) {
            shell.out(PROMPT);
            String line;
            try {
                line = readLine(reader);
            } catch (IOException e) {
                shell.err(IoShell.PROGRAM + ": cannot read commands: " + IoShell.messageText(e) + "\n");
                return;
            }
            if (line == null) {
                return;
            }
            shell.dispatch(line);
        }
    }

    /**
     * @return the next line without its newline, or null at the end of input. Only a newline ends
     *         a line: a carriage return stays part of it, as with C's {@code fgets}.
     */
    private static String readLine(Reader reader) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = reader.read()) >= 0) {
            if (c == '\n') {
                return line.toString();
            }
            line.append((char) c);
        }
        return line.length() > 0 ? line.toString() : null;
    }
}

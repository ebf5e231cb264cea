package org.jblock.shell.io;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * Commands from a terminal: line editing, a history file, completion of command names, flags and
 * paths. Ctrl-C abandons the line being typed; Ctrl-D (or {@code quit}) ends the session.
 */
final class InteractiveLoop {
    private InteractiveLoop() {
    }

    /** Runs on the process's terminal, with the history in {@code ~/.jblock_io_history}. */
    static void runOnSystemTerminal(IoShell shell, PrintStream err) {
        try (Terminal terminal = TerminalBuilder.builder().system(true).build()) {
            run(shell, terminal, JblockIo.historyFile());
        } catch (IOException e) {
            err.print(IoShell.PROGRAM + ": cannot use the terminal: " + IoShell.messageText(e) + "\n");
        }
    }

    /** Reads and runs lines from {@code terminal} until end of input or {@code quit}. */
    static void run(IoShell shell, Terminal terminal, Path historyFile) {
        LineReader reader = LineReaderBuilder.builder()
                .terminal(terminal)
                .appName(IoShell.PROGRAM)
                .completer(new ShellCompleter())
                .variable(LineReader.HISTORY_FILE, historyFile)
                .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
                .build();
        // Reports of asynchronous requests arrive while a line is being typed: print them above it.
        shell.printAsyncWith(text -> reader.printAbove(text.endsWith("\n") ? text.substring(0, text.length() - 1) : text));
        try {
            while (!shell.quitRequested()) {
                String line;
                try {
                    line = reader.readLine(PipedLoop.PROMPT);
                } catch (UserInterruptException e) {
                    continue;
                } catch (EndOfFileException e) {
                    break;
                }
                shell.dispatch(line);
            }
        } finally {
            shell.printAsyncWith(null);
            try {
                reader.getHistory().save();
            } catch (IOException e) {
                shell.err(IoShell.PROGRAM + ": could not save the history: " + IoShell.messageText(e) + "\n");
            }
        }
    }
}

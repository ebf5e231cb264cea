package org.jblock.shell.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.jline.reader.Candidate;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.impl.DefaultParser;
import org.jline.terminal.Terminal;
import org.jline.terminal.impl.DumbTerminal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InteractiveLoopTest {
    @TempDir
    Path dir;

    private static Terminal dumbTerminal(String input, ByteArrayOutputStream output) throws IOException {
        return new DumbTerminal("test", Terminal.TYPE_DUMB,
                new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), output, StandardCharsets.UTF_8);
    }

    @Test
    void runs_typed_commands_until_end_of_input_and_keeps_the_history() throws IOException {
        Path history = dir.resolve("history");
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        try (ShellRun run = new ShellRun(); Terminal terminal = dumbTerminal(
                "write -P 0xab 0 64k\nread -P 0xab 0 64k\nfrobnicate\nmap\n", screen)) {
            assertTrue(run.shell.openDemoImage());
            InteractiveLoop.run(run.shell, terminal, history);
            String out = Transcript.filter(run.takeOut(), "/nowhere");
            assertTrue(out.contains("wrote 65536/65536 bytes at offset 0\n"), out);
            assertTrue(out.contains("read 65536/65536 bytes at offset 0\n"), out);
            assertTrue(out.contains("bytes     allocated at offset 0 bytes (0x0)\n"), out);
            assertEquals("command \"frobnicate\" not found\n", run.takeErr());
            assertTrue(screen.toString(StandardCharsets.UTF_8).contains(PipedLoop.PROMPT));
            List<String> saved = Files.readAllLines(history);
            assertTrue(saved.stream().anyMatch(line -> line.endsWith("read -P 0xab 0 64k")), saved.toString());
        }
    }

    @Test
    void quit_ends_the_loop_before_the_remaining_lines() throws IOException {
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        try (ShellRun run = new ShellRun(); Terminal terminal = dumbTerminal("quit\nfrobnicate\n", screen)) {
            InteractiveLoop.run(run.shell, terminal, dir.resolve("history"));
            assertTrue(run.shell.quitRequested());
            assertEquals("", run.takeErr());
            assertFalse(run.shell.anyCommandFailed());
        }
    }

    @Test
    void completes_command_names_then_flags_then_paths() throws IOException {
        Files.createFile(dir.resolve("image.raw"));
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        try (Terminal terminal = dumbTerminal("", screen)) {
            LineReader reader = LineReaderBuilder.builder().terminal(terminal).build();
            ShellCompleter completer = new ShellCompleter();
            DefaultParser parser = new DefaultParser();

            List<Candidate> names = new ArrayList<>();
            completer.complete(reader, parser.parse("rea", 3), names);
            assertTrue(names.stream().anyMatch(c -> c.value().equals("readv")));
            assertTrue(names.stream().anyMatch(c -> c.value().equals("aio_read")));

            List<Candidate> flags = new ArrayList<>();
            completer.complete(reader, parser.parse("write -", 7), flags);
            assertTrue(flags.stream().anyMatch(c -> c.value().equals("-z")), flags.toString());
            assertFalse(flags.stream().anyMatch(c -> c.value().equals("-v")), "read's -v is not write's");

            List<Candidate> paths = new ArrayList<>();
            String line = "open " + dir + "/ima";
            completer.complete(reader, parser.parse(line, line.length()), paths);
            assertTrue(paths.stream().anyMatch(c -> c.value().endsWith("image.raw")), paths.toString());
        }
    }
}

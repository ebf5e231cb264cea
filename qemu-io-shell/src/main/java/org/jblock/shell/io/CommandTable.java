package org.jblock.shell.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Every command of the shell, sorted by name as qemu-io lists them. */
final class CommandTable {
    private static final boolean FILE = true;
    private static final boolean NO_FILE = false;
    private static final boolean WRITES = true;
    private static final boolean READS = false;
    private static final int UNLIMITED = -1;

    static final List<CommandInfo> COMMANDS = Stream.of(
            new CommandInfo("abort", null, null, "simulate a program crash using abort(3)", 0, 0, NO_FILE, READS,
                    AbortCommand::new),
            new CommandInfo("aio_flush", null, null, "completes all outstanding aio requests", 0, 0, FILE, READS,
                    AioFlushCommand::new),
            new CommandInfo("aio_read", null, "[-Ciqv] [-P pattern] off len [len..]",
                    "asynchronously reads a number of bytes", 2, UNLIMITED, FILE, READS, AioReadCommand::new),
            new CommandInfo("aio_write", null, "[-Cfiquz] [-P pattern] off len [len..]",
                    "asynchronously writes a number of bytes", 2, UNLIMITED, FILE, WRITES, AioWriteCommand::new),
            new CommandInfo("alloc", "a", "offset [count]", "checks if offset is allocated in the file", 1, 2, FILE,
                    READS, AllocCommand::new),
            new CommandInfo("break", null, "event tag", "sets a breakpoint on event and tags the stopped request as tag",
                    2, 2, FILE, READS, BreakpointCommands.Break::new),
            new CommandInfo("close", "c", null, "close the current open file", 0, 0, FILE, READS, CloseCommand::new),
            new CommandInfo("discard", "d", "[-Cq] off len", "discards a number of bytes at a specified offset", 2,
                    UNLIMITED, FILE, WRITES, DiscardCommand::new),
            new CommandInfo("flush", "f", null, "flush all in-core file state to disk", 0, 0, FILE, READS,
                    FlushCommand::new),
            new CommandInfo("help", "?", "[command]", "help for one or all commands", 0, 1, NO_FILE, READS,
                    HelpCommand::new),
            new CommandInfo("info", "i", null, "prints information about the current file", 0, 0, FILE, READS,
                    InfoCommand::new),
            new CommandInfo("length", "l", null, "gets the length of the current file", 0, 0, FILE, READS,
                    LengthCommand::new),
            new CommandInfo("map", null, "", "prints the allocated areas of a file", 0, 0, FILE, READS,
                    MapCommand::new),
            new CommandInfo("open", "o", "[-rsCnkU] [-t cache] [-d discard] [-o options] [path]",
                    "open the file specified by path", 1, UNLIMITED, NO_FILE, READS, OpenCommand::new),
            new CommandInfo("quit", "q", null, "exit the program", 0, UNLIMITED, NO_FILE, READS, QuitCommand::new),
            new CommandInfo("read", "r", "[-abCqv] [-P pattern [-s off] [-l len]] off len",
                    "reads a number of bytes at a specified offset", 2, UNLIMITED, FILE, READS, ReadCommand::new),
            new CommandInfo("readv", null, "[-Cqv] [-P pattern] off len [len..]",
                    "reads a number of bytes at a specified offset", 2, UNLIMITED, FILE, READS, ReadvCommand::new),
            new CommandInfo("remove_break", null, "tag", "remove a breakpoint by tag", 1, 1, FILE, READS,
                    BreakpointCommands.RemoveBreak::new),
            new CommandInfo("reopen", null, "[(-r|-w)] [-c cache] [-o options]",
                    "reopens an image with new options", 0, UNLIMITED, FILE, READS, ReopenCommand::new),
            new CommandInfo("resume", null, "tag", "resumes the request tagged as tag", 1, 1, FILE, READS,
                    BreakpointCommands.Resume::new),
            new CommandInfo("sigraise", null, "signal", "raises a signal", 1, 1, NO_FILE, READS, SigraiseCommand::new),
            new CommandInfo("sleep", null, null, "waits for the given value in milliseconds", 1, 1, NO_FILE, READS,
                    SleepCommand::new),
            new CommandInfo("truncate", "t", "[-m prealloc_mode] off",
                    "truncates the current file at the given offset", 1, 3, FILE, WRITES, TruncateCommand::new),
            new CommandInfo("wait_break", null, "tag", "waits for the suspension of a request", 1, 1, FILE, READS,
                    BreakpointCommands.WaitBreak::new),
            new CommandInfo("write", "w", "[-bcCfnquz] [-P pattern | -s source_file] off len",
                    "writes a number of bytes at a specified offset", 2, UNLIMITED, FILE, WRITES, WriteCommand::new),
            new CommandInfo("writev", null, "[-Cfq] [-P pattern] off len [len..]",
                    "writes a number of bytes at a specified offset", 2, UNLIMITED, FILE, WRITES, WritevCommand::new))
            .sorted(Comparator.comparing(CommandInfo::name)).toList();

    private CommandTable() {
    }

    /** @return the command called {@code word} by name or alias */
    static Optional<CommandInfo> find(String word) {
        return COMMANDS.stream().filter(c -> c.answersTo(word)).findFirst();
    }

    /** @return the command's extended help (the text after its synopsis), or empty */
    static String extendedHelp(CommandInfo command) {
        try (InputStream in = CommandTable.class.getResourceAsStream("help/" + command.name() + ".txt")) {
            return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

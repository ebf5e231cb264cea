package org.jblock.shell.io;

import picocli.CommandLine.Command;

/** {@code abort}: simulates a crash: the process ends at once, nothing flushed or closed. */
@Command(name = "abort")
final class AbortCommand extends IoCommand {
    /** The exit status of a process killed by SIGABRT, as a shell reports it. */
    private static final int ABORTED = 134;

    @Override
    public Integer call() {
        shell.flushOutput();
        Runtime.getRuntime().halt(ABORTED);
        return FAILED;
    }
}

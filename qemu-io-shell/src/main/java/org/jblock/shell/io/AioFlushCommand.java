package org.jblock.shell.io;

import picocli.CommandLine.Command;

/** {@code aio_flush}: waits for every outstanding asynchronous request. */
@Command(name = "aio_flush")
final class AioFlushCommand extends IoCommand {
    @Override
    public Integer call() {
        shell.drainAio();
        return OK;
    }
}

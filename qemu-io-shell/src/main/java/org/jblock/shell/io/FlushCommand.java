package org.jblock.shell.io;

import java.io.IOException;

import picocli.CommandLine.Command;

/** {@code flush}: makes every completed write durable. */
@Command(name = "flush")
final class FlushCommand extends IoCommand {
    @Override
    public Integer call() {
        try {
            image().flush();
            return OK;
        } catch (IOException e) {
            return requestFailed("flush", e);
        }
    }
}

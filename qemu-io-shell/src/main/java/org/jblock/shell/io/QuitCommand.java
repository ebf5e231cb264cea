package org.jblock.shell.io;

import picocli.CommandLine.Command;

/** {@code quit}: ends the session; later {@code -c} commands and input lines are not run. */
@Command(name = "quit")
final class QuitCommand extends IoCommand {
    @Override
    public Integer call() {
        shell.requestQuit();
        return OK;
    }
}

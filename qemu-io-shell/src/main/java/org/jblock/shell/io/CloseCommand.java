package org.jblock.shell.io;

import picocli.CommandLine.Command;

/** {@code close}: closes the image once its outstanding requests complete. */
@Command(name = "close")
final class CloseCommand extends IoCommand {
    @Override
    public Integer call() {
        shell.closeImage();
        return OK;
    }
}

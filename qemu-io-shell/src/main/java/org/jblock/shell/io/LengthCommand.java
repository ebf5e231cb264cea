package org.jblock.shell.io;

import java.io.IOException;

import picocli.CommandLine.Command;

/** {@code length}: the virtual size. */
@Command(name = "length")
final class LengthCommand extends IoCommand {
    @Override
    public Integer call() {
        try {
            shell.out(QemuNumbers.humanSize(image().size()) + "\n");
            return OK;
        } catch (IOException e) {
            return fail("getlength: " + IoShell.errnoText(e));
        }
    }
}

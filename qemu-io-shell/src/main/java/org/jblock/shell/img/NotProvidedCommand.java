package org.jblock.shell.img;

import java.util.List;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

/** A qemu-img subcommand that jblock-img does not provide: refused with one line, whatever follows. */
@Command(description = "Not provided by jblock-img.")
final class NotProvidedCommand extends ImgCommand {
    private final String name;

    @Parameters(arity = "0..*", hidden = true)
    List<String> arguments;

    @Unmatched
    List<String> unmatched;

    NotProvidedCommand(String name) {
        this.name = name;
    }

    @Override
    public Integer call() {
        err().println(JblockImg.TOOL + ": '" + name + "' is not provided by " + JblockImg.TOOL
                + " (available: create, info, check, convert, compare, commit, rebase, map, resize, bench)");
        return 1;
    }
}

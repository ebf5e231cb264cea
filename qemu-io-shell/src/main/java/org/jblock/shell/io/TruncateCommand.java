package org.jblock.shell.io;

import java.io.IOException;
import java.util.List;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code truncate [-m prealloc_mode] off}: resizes the virtual disk. */
@Command(name = "truncate")
final class TruncateCommand extends IoCommand {
    private static final List<String> PREALLOCATION_MODES = List.of("off", "metadata", "falloc", "full");

    @Option(names = "-m") String preallocation;

    @Override
    public Integer call() {
        if (preallocation != null && !PREALLOCATION_MODES.contains(preallocation)) {
            shell.err(IoShell.PROGRAM + ": Invalid preallocation mode '" + preallocation + "'\n");
            return FAILED;
        }
        if (operands.isEmpty()) {
            return usage();
        }
        // qemu-io reads the first operand and ignores the rest.
        Long size = count(operands.get(0));
        if (size == null) {
            return FAILED;
        }
        try {
            if (preallocation != null && !preallocation.equals("off") && size < image().size()) {
                shell.err(IoShell.PROGRAM + ": Cannot use preallocation for shrinking files\n");
                return FAILED;
            }
            image().resize(size);
        } catch (IOException e) {
            shell.err(IoShell.PROGRAM + ": " + IoShell.messageText(e) + "\n");
            return FAILED;
        }
        return OK;
    }
}

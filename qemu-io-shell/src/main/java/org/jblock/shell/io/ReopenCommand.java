package org.jblock.shell.io;

import java.util.ArrayList;
import java.util.List;

import org.jblock.registry.OpenSpec;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code reopen [(-r|-w)] [-c cache] [-o options]}: opens the current image again, e.g. read-only. */
@Command(name = "reopen")
final class ReopenCommand extends IoCommand {
    @Option(names = "-r") boolean readOnly;
    @Option(names = "-w") boolean readWrite;
    @Option(names = "-c") String cacheMode;
    @Option(names = "-o") List<String> options = new ArrayList<>();

    @Override
    public Integer call() {
        if (!operands.isEmpty()) {
            return usage();
        }
        if (readOnly && readWrite) {
            shell.err(IoShell.PROGRAM + ": Only one -r/-w option may be given\n");
            return FAILED;
        }
        try {
            OpenArguments.checkCacheMode(cacheMode);
        } catch (OpenArguments.BadOpenException e) {
            shell.err(IoShell.PROGRAM + ": " + e.getMessage() + "\n");
            return FAILED;
        }
        if (!options.isEmpty()) {
            String key = options.get(0).split("[=,]", 2)[0];
            shell.err(IoShell.PROGRAM + ": Cannot change the option '" + key + "'\n");
            return FAILED;
        }
        OpenSpec current = shell.imageSpec();
        boolean wantReadOnly = readOnly || (!readWrite && image().isReadOnly());
        if (current != null && current.readOnly() == wantReadOnly) {
            return OK;
        }
        OpenSpec spec = current == null ? null : current.withReadOnly(wantReadOnly)
                .withForceShare(current.forceShare() && wantReadOnly);
        return shell.reopen(spec) ? OK : FAILED;
    }
}

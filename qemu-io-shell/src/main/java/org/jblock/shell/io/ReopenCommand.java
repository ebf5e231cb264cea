package org.jblock.shell.io;

import java.util.ArrayList;
import java.util.List;

import org.jblock.registry.CacheMode;
import org.jblock.registry.OpenSpec;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code reopen [(-r|-w)] [-c cache] [-o options]}: opens the current image again, e.g. read-only,
 * or with another cache mode ({@code -c}; without it the mode stays).
 */
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
        CacheMode cache;
        try {
            cache = cacheMode == null ? null : OpenArguments.cacheMode(cacheMode, false);
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
        CacheMode wantCache = cache != null || current == null ? cache : current.cache();
        if (current != null && current.readOnly() == wantReadOnly && current.cache() == wantCache) {
            return OK;
        }
        OpenSpec spec = current == null ? null : current.withReadOnly(wantReadOnly)
                .withForceShare(current.forceShare() && wantReadOnly).withCache(wantCache);
        return shell.reopen(spec) ? OK : FAILED;
    }
}

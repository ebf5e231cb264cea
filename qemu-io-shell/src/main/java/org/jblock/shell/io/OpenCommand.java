package org.jblock.shell.io;

import java.util.ArrayList;
import java.util.List;

import org.jblock.registry.CacheMode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code open [-rsCnkU] [-t cache] [-d discard] [-o options] [-f fmt] [path]}. With {@code -s}
 * writes go to a temporary overlay and the image is left unchanged. {@code -t} and {@code -n} set
 * the cache mode (qemu-io's default: writethrough); discard and AIO modes are checked and accepted,
 * and change nothing.
 */
@Command(name = "open")
final class OpenCommand extends IoCommand {
    @Option(names = "-s") boolean snapshot;
    @Option(names = "-n") boolean noCache;
    @Option(names = "-C") boolean copyOnRead;
    @Option(names = "-r") boolean readOnly;
    @Option(names = "-o") List<String> options = new ArrayList<>();
    @Option(names = "-k") boolean nativeAio;
    @Option(names = "-i") String aioMode;
    @Option(names = "-t") String cacheMode;
    @Option(names = "-d") String discardMode;
    @Option(names = "-U") boolean forceShare;
    @Option(names = "-f") String format;

    @Override
    public Integer call() {
        try {
            CacheMode cache = OpenArguments.cacheMode(cacheMode, noCache);
            OpenArguments.checkDiscardMode(discardMode);
            OpenArguments.checkAioMode(aioMode);
            if (operands.size() > 1) {
                return usage();
            }
            OpenArguments.Target target = OpenArguments.resolve(shell.registry(), operands.isEmpty() ? null : operands.get(0), format,
                    options, null, readOnly, forceShare, copyOnRead, cache);
            for (String warning : target.warnings()) {
                shell.err(IoShell.PROGRAM + ": warning: " + warning + "\n");
            }
            if (target.path() == null) {
                throw new OpenArguments.BadOpenException("can't open: A block device must be specified");
            }
            return shell.open(target.path(), target.spec(), snapshot, target.shownName()) ? OK : FAILED;
        } catch (OpenArguments.BadOpenException e) {
            shell.err(IoShell.PROGRAM + ": " + e.getMessage() + "\n");
            return FAILED;
        }
    }
}

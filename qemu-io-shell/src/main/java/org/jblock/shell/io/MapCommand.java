package org.jblock.shell.io;

import java.io.IOException;
import java.util.List;

import picocli.CommandLine.Command;

/** {@code map}: one line per run of allocated or unallocated bytes, over the whole image. */
@Command(name = "map")
final class MapCommand extends IoCommand {
    @Override
    public Integer call() {
        long size;
        try {
            size = image().size();
        } catch (IOException e) {
            shell.err(IoShell.PROGRAM + ": Failed to query image length: " + IoShell.errnoText(e) + "\n");
            return FAILED;
        }
        List<AllocationRuns.Run> runs;
        try {
            runs = AllocationRuns.of(image(), 0, size);
        } catch (IOException e) {
            shell.err(IoShell.PROGRAM + ": Failed to get allocation status: " + IoShell.errnoText(e) + "\n");
            return FAILED;
        }
        StringBuilder sb = new StringBuilder();
        for (AllocationRuns.Run run : runs) {
            sb.append(QemuNumbers.humanSize(run.length())).append(" (0x").append(Long.toHexString(run.length()))
                    .append(") bytes ").append(run.allocated() ? "    allocated" : "not allocated")
                    .append(" at offset ").append(QemuNumbers.humanSize(run.start())).append(" (0x")
                    .append(Long.toHexString(run.start())).append(")\n");
        }
        shell.out(sb.toString());
        return OK;
    }
}

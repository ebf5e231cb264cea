package org.jblock.shell.io;

import java.io.IOException;

import picocli.CommandLine.Command;

/** {@code alloc offset [count]}: how many bytes of a range are allocated; the range stops at the end. */
@Command(name = "alloc")
final class AllocCommand extends IoCommand {
    private static final long DEFAULT_COUNT = 512;

    @Override
    public Integer call() {
        Long offset = count(operands.get(0));
        if (offset == null) {
            return FAILED;
        }
        Long length = DEFAULT_COUNT;
        if (operands.size() == 2 && (length = count(operands.get(1))) == null) {
            return FAILED;
        }
        long allocated = 0;
        long covered;
        try {
            long size = image().size();
            covered = offset >= size ? 0 : Math.min(length, size - offset);
            for (AllocationRuns.Run run : AllocationRuns.of(image(), offset, covered)) {
                if (run.allocated()) {
                    allocated += run.length();
                }
            }
        } catch (IOException e) {
            shell.out("is_allocated failed: " + IoShell.errnoText(e) + "\n");
            return FAILED;
        }
        shell.out(allocated + "/" + covered + " bytes allocated at offset " + QemuNumbers.humanSize(offset) + "\n");
        return OK;
    }
}

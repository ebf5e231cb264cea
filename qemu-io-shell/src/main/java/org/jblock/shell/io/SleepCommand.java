package org.jblock.shell.io;

import picocli.CommandLine.Command;

/** {@code sleep ms}: waits; asynchronous requests go on completing meanwhile. */
@Command(name = "sleep")
final class SleepCommand extends IoCommand {
    @Override
    public Integer call() {
        Long millis = QemuNumbers.strtolWhole(operands.get(0), true);
        if (millis == null || millis < 0) {
            return fail(operands.get(0) + " is not a valid number");
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return OK;
    }
}

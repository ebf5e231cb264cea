package org.jblock.shell.io;

import java.io.IOException;

import picocli.CommandLine.Command;

/** {@code sigraise signal}: sends the signal to this process, e.g. 9 to simulate a crash. */
@Command(name = "sigraise")
final class SigraiseCommand extends IoCommand {
    @Override
    public Integer call() {
        Long signal = count(operands.get(0));
        if (signal == null) {
            return FAILED;
        }
        if (signal < 1 || signal > 64) {
            return fail("sigraise: invalid signal " + signal);
        }
        shell.flushOutput();
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(ProcessHandle.current().pid()))
                    .inheritIO().start();
            return kill.waitFor() == 0 ? OK : fail("sigraise: could not raise signal " + signal);
        } catch (IOException e) {
            return fail("sigraise: " + IoShell.messageText(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return FAILED;
        }
    }
}

package org.jblock.tests.nbd;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.jblock.registry.DriverRegistry;
import org.jblock.shell.nbd.JblockNbd;
import org.junit.jupiter.api.Test;

import picocli.CommandLine;

/**
 * jblock-nbd's command line against qemu-nbd's, as the README lists it: qemu-nbd's options that
 * jblock-nbd has parse, and those it does not have are refused as unknown (never taken silently).
 */
class NbdCommandOptionsTest {
    private static final DriverRegistry REGISTRY = DriverRegistry.load();

    @Test
    void qemuNbdsOptionsParseWhereSupported() {
        List<String[]> supported = List.of(
                new String[] {"-f", "vpc", "-r", "-x", "name", "-D", "text", "-k", "/tmp/s", "-e", "4", "-t", "disk"},
                new String[] {"-p", "10810", "-b", "127.0.0.1", "--shared=2", "--persistent", "--fork",
                    "--pid-file=/tmp/p", "-v", "disk"},
                new String[] {"--image-opts", "driver=raw,file.filename=disk"},
                new String[] {"-L", "-k", "/tmp/s"},
                new String[] {"-n", "disk"}, new String[] {"--nocache", "disk"}, new String[] {"--cache=unsafe", "disk"},
                new String[] {"--cache", "directsync", "disk"},
                new String[] {"-o", "1048576", "disk"}, new String[] {"--offset=0x200", "disk"},
                new String[] {"--discard=unmap", "--detect-zeroes=unmap", "disk"},
                new String[] {"--discard", "ignore", "--detect-zeroes", "on", "disk"});
        for (String[] arguments : supported) {
            assertDoesNotThrow(() -> JblockNbd.model(REGISTRY).parseArgs(arguments),
                    () -> String.join(" ", arguments));
        }
    }

    @Test
    void qemuNbdsOtherOptionsAreRefusedAsUnknown() {
        for (String option : List.of("-s", "--snapshot", "-l", "--load-snapshot=s", "--aio=threads", "-A", "--allocation-depth", "-B",
                "--bitmap=b", "-c", "--connect=/dev/nbd0", "-d", "--disconnect", "--object=secret,id=s",
                "--tls-creds=t", "--tls-authz=a", "-T", "--trace=x", "--selinux-label=l")) {
            CommandLine.UnmatchedArgumentException refused = assertThrows(CommandLine.UnmatchedArgumentException.class,
                    () -> JblockNbd.model(REGISTRY).parseArgs(option, "disk"), option);
            assertTrue(refused.getMessage().contains(option.split("=")[0]), refused.getMessage());
        }
    }
}

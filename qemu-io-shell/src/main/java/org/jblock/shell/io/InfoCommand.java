package org.jblock.shell.io;

import java.io.IOException;

import org.jblock.api.ImageInfo;

import picocli.CommandLine.Command;

/**
 * {@code info}: the format, cluster size and VM state offset, as qemu-io prints them. Format-specific
 * fields are left to {@code jblock-img info}, as qemu-io prints none for raw and vpc.
 */
@Command(name = "info")
final class InfoCommand extends IoCommand {
    @Override
    public Integer call() {
        ImageInfo info;
        try {
            info = image().info();
        } catch (IOException e) {
            shell.err(IoShell.PROGRAM + ": " + IoShell.messageText(e) + "\n");
            return FAILED;
        }
        shell.out("format name: " + info.format() + "\n"
                + "cluster size: " + QemuNumbers.humanSize(info.clusterSize()) + "\n"
                + "vm state offset: " + QemuNumbers.humanSize(0) + "\n");
        return OK;
    }
}

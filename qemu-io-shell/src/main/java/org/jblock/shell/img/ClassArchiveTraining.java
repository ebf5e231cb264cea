package org.jblock.shell.img;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Comparator;
import java.util.stream.Stream;

import org.jblock.api.BlockImage;
import org.jblock.nbd.NbdExport;
import org.jblock.nbd.NbdServer;
import org.jblock.registry.DriverRegistry;
import org.jblock.registry.OpenSpec;
import org.jblock.shell.io.JblockIo;

/**
 * The run from which the launcher builds its class-data archive ({@code -XX:ArchiveClassesAtExit}):
 * both tools' usual commands on small images in a temporary folder, printing nothing, so that the
 * classes they load are archived and later starts of either tool map them instead of loading them.
 * That includes the NBD client and server: a convert from an export of jblock's own server, as from
 * {@code qemu-nbd}, would otherwise load and verify some 170 classes from the jars on every start.
 */
public final class ClassArchiveTraining {
    private ClassArchiveTraining() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Files.createTempDirectory("jblock-cds");
        try {
            run(dir);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                    Files.deleteIfExists(p);
                }
            }
        }
        System.exit(0);
    }

    /**
     * Runs the commands on images it makes in {@code dir}.
     *
     * @throws IOException naming the first command that failed (the archive would then miss the
     *                     classes of the commands after it)
     */
    static void run(Path dir) throws IOException {
        String raw = dir.resolve("a.raw").toString();
        String vhd = dir.resolve("b.vhd").toString();
        String copy = dir.resolve("c.raw").toString();
        img("create", "-f", "raw", raw, "8M");
        // As jblock-img does before a subcommand on an image that exists: its protocol's own start-up runs beside the commands.
        DriverRegistry.load().prepareProtocols(List.of(raw));
        PrintStream none = new PrintStream(OutputStream.nullOutputStream());
        String[] io = {"-f", "raw", "-c", "write -P 0x5a 0 1M", "-c", "read -v 0 512", "-c", "write -z 2M 1M",
                "-c", "map", "-c", "info", raw};
        if (JblockIo.run(io, InputStream.nullInputStream(), none, none, false) != 0) {
            throw new IOException("jblock-io " + String.join(" ", io) + " failed");
        }
        img("convert", "-f", "raw", "-O", "vpc", raw, vhd);
        img("convert", "-f", "vpc", "-O", "raw", vhd, copy);
        img("info", vhd);
        img("info", "--output=json", vhd);
        img("map", vhd);
        img("compare", raw, vhd);
        img("bench", "-c", "100", "-d", "1", "-s", "4k", vhd);
        img("--version");
        // The VHD's bytes served raw over a Unix socket, read as vpc: as from 'qemu-nbd -f raw'.
        String export = "nbd+unix:///?socket=" + dir.resolve("s");
        try (BlockImage bytes = DriverRegistry.load().open(Path.of(vhd), new OpenSpec("raw", true, false, ""));
             NbdServer server = NbdServer.builder().export(NbdExport.of("", bytes))
                     .listen(UnixDomainSocketAddress.of(dir.resolve("s"))).persistent(true).start()) {
            img("info", "-f", "vpc", export);
            img("convert", "-f", "vpc", "-O", "vpc", export, dir.resolve("d.vhd").toString());
            img("compare", "-f", "vpc", "-F", "vpc", export, vhd);
        }
    }

    private static void img(String... args) throws IOException {
        PrintWriter none = new PrintWriter(OutputStream.nullOutputStream());
        if (JblockImg.commandLine(DriverRegistry.load(), false, none, none).execute(args) != 0) {
            throw new IOException("jblock-img " + String.join(" ", args) + " failed");
        }
    }
}

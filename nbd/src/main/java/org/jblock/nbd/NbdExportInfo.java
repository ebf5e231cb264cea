package org.jblock.nbd;

import java.io.IOException;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;

import org.jblock.nbd.client.ExportListing;
import org.jblock.nbd.wire.Nbd;

/**
 * What an NBD server (any: qemu-nbd, nbdkit, jblock-nbd) says of one of its exports, as
 * {@code qemu-nbd -L} shows it.
 *
 * @param flags        the transmission flags ({@link #flagNames()} names them)
 * @param metaContexts the metadata contexts offered (empty without structured replies)
 */
public record NbdExportInfo(String name, String description, long size, int flags, int minimumBlock,
                            int preferredBlock, int maximumBlock, List<String> metaContexts) {
    private static final String[] FLAG_NAMES = {null, "readonly", "flush", "fua", "rotational", "trim", "zeroes",
        "df", "multi", "resize", "cache", "fast-zero"};

    public NbdExportInfo {
        metaContexts = List.copyOf(metaContexts);
    }

    /** @return every export of the server at {@code server} (a TCP or Unix socket address) */
    public static List<NbdExportInfo> list(SocketAddress server) throws IOException {
        List<NbdExportInfo> exports = new ArrayList<>();
        for (ExportListing listing : ExportListing.of(server)) {
            exports.add(new NbdExportInfo(listing.name(), listing.description(), listing.size(), listing.flags(),
                    listing.sizes().minimum(), listing.sizes().preferred(), listing.sizes().maximum(),
                    listing.contexts()));
        }
        return exports;
    }

    /** @return the names of the flags set, in bit order, as qemu-nbd prints them ({@code flush fua trim ...}) */
    public List<String> flagNames() {
        List<String> names = new ArrayList<>();
        for (int bit = 1; bit < FLAG_NAMES.length; bit++) {
            if ((flags & (1 << bit)) != 0) {
                names.add(FLAG_NAMES[bit]);
            }
        }
        return names;
    }

    /** @return whether the export refuses writes */
    public boolean isReadOnly() {
        return (flags & Nbd.FLAG_READ_ONLY) != 0;
    }
}

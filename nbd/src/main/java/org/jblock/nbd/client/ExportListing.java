package org.jblock.nbd.client;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.util.List;

import org.jblock.nbd.wire.BlockSizes;

/**
 * What a server says of one of its exports: NBD_OPT_LIST's name and description, NBD_OPT_INFO's
 * size, transmission flags and block sizes, and the metadata contexts it offers.
 */
public record ExportListing(String name, String description, long size, int flags, BlockSizes sizes,
                            List<String> contexts) {

    public ExportListing {
        contexts = List.copyOf(contexts);
    }

    /** @return every export of the server at {@code address} */
    public static List<ExportListing> of(SocketAddress address) throws IOException {
        String description = NbdConnection.describe(address);
        try (SocketChannel channel = NbdConnection.connect(address)) {
            return ClientHandshake.greet(channel, description).list();
        }
    }
}

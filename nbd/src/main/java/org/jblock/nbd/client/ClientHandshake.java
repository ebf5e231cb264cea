package org.jblock.nbd.client;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;

import org.jblock.nbd.wire.BlockSizes;
import org.jblock.nbd.wire.ExportEntry;
import org.jblock.nbd.wire.ExportInfo;
import org.jblock.nbd.wire.ExportRequest;
import org.jblock.nbd.wire.MetaContext;
import org.jblock.nbd.wire.MetaContextRequest;
import org.jblock.nbd.wire.Nbd;
import org.jblock.nbd.wire.OptionReply;
import org.jblock.nbd.wire.OptionRequest;
import org.jblock.nbd.wire.ProtocolException;
import org.jblock.nbd.wire.Wire;

/**
 * The client's side of the fixed newstyle handshake: the greeting, then options — to open an
 * export ({@link #go}) or to ask the server about its exports ({@link #list}).
 */
final class ClientHandshake {
    private final SocketChannel channel;
    private final String description;
    private final boolean noZeroes;
    private ExportInfo info;
    private BlockSizes sizes = BlockSizes.DEFAULT;
    private boolean structured;
    private int allocationContext = -1;
    /** The message of the last error reply, for the caller's exception. */
    private String lastError = "";
    /** Whether the server spoke the old-style handshake: no options, its one export is open. */
    private boolean oldStyle;

    private ClientHandshake(SocketChannel channel, String description, boolean noZeroes) {
        this.channel = channel;
        this.description = description;
        this.noZeroes = noZeroes;
    }

    /** Reads the server's greeting and answers it: the handshake is then ready for options. */
    static ClientHandshake greet(SocketChannel channel, String description) throws IOException {
        ByteBuffer greeting = Wire.read(channel, 16);
        if (greeting.getLong() != Nbd.NBDMAGIC) {
            throw new ProtocolException(description + ": not an NBD server (bad greeting)");
        }
        long style = greeting.getLong();
        if (style == Nbd.CLISERV_MAGIC) {
            return oldStyle(channel, description);
        }
        if (style != Nbd.IHAVEOPT) {
            throw new ProtocolException(description + ": not an NBD server (bad greeting)");
        }
        int serverFlags = Short.toUnsignedInt(Wire.read(channel, 2).getShort());
        if ((serverFlags & Nbd.FLAG_FIXED_NEWSTYLE) == 0) {
            throw new ProtocolException(description + ": the server lacks the fixed newstyle handshake");
        }
        boolean noZeroes = (serverFlags & Nbd.FLAG_NO_ZEROES) != 0;
        int clientFlags = Nbd.FLAG_FIXED_NEWSTYLE | (noZeroes ? Nbd.FLAG_NO_ZEROES : 0);
        Wire.writeFully(channel, ByteBuffer.allocate(4).putInt(clientFlags).flip());
        return new ClientHandshake(channel, description, noZeroes);
    }

    /**
     * The old-style handshake: the server sends its one export's size and flags at once, and
     * transmission starts without options.
     */
    private static ClientHandshake oldStyle(SocketChannel channel, String description) throws IOException {
        ByteBuffer rest = Wire.read(channel, 8 + 4 + ExportInfo.EXPORT_NAME_PADDING);
        long size = rest.getLong();
        int flags = rest.getInt();
        if (size < 0 || (flags & ~0xffff) != 0) {
            throw new ProtocolException(description + ": bad old-style greeting (size " + Long.toUnsignedString(size)
                    + ", flags 0x" + Integer.toHexString(flags) + ")");
        }
        ClientHandshake handshake = new ClientHandshake(channel, description, false);
        handshake.oldStyle = true;
        handshake.info = new ExportInfo(size, flags);
        return handshake;
    }

    ExportInfo info() {
        return info;
    }

    BlockSizes sizes() {
        return sizes;
    }

    boolean structured() {
        return structured;
    }

    int allocationContext() {
        return allocationContext;
    }

    /**
     * Opens {@code export} for transmission: structured replies and {@code base:allocation} when
     * the server has them, then GO (or EXPORT_NAME for a server without GO).
     *
     * @throws NoSuchFileException when the server has no such export
     */
    void go(String export) throws IOException {
        if (oldStyle) {
            if (!export.isEmpty()) {
                throw new ProtocolException(description + ": Server does not support non-empty export names");
            }
            return;
        }
        structured = option(Nbd.OPT_STRUCTURED_REPLY, ByteBuffer.allocate(0), null) == Nbd.REP_ACK;
        if (structured) {
            option(Nbd.OPT_SET_META_CONTEXT, metaContextQuery(export, List.of(Nbd.BASE_ALLOCATION)), reply -> {
                MetaContext context = MetaContext.decode(reply);
                if (context.name().equals(Nbd.BASE_ALLOCATION)) {
                    allocationContext = context.id();
                }
            });
        }
        int answer = option(Nbd.OPT_GO, exportQuery(export), this::information);
        if (answer == Nbd.REP_ERR_UNSUP) {
            exportName(export);
        } else if (answer != Nbd.REP_ACK) {
            abort();
            throw refused(answer, lastError);
        } else if (info == null) {
            throw new ProtocolException(description + ": the server sent no export size");
        }
    }

    /** @return every export the server lists, each with what INFO and LIST_META_CONTEXT say of it */
    List<ExportListing> list() throws IOException {
        if (oldStyle) {
            throw new IOException(description + ": the server speaks the old-style handshake, which cannot list exports");
        }
        List<ExportEntry> entries = new ArrayList<>();
        int answer = option(Nbd.OPT_LIST, ByteBuffer.allocate(0), reply -> entries.add(ExportEntry.decode(reply)));
        if (answer != Nbd.REP_ACK) {
            throw new IOException(description + ": the server refused to list its exports" + reason(lastError));
        }
        structured = option(Nbd.OPT_STRUCTURED_REPLY, ByteBuffer.allocate(0), null) == Nbd.REP_ACK;
        List<ExportListing> listings = new ArrayList<>();
        for (ExportEntry entry : entries) {
            info = null;
            sizes = BlockSizes.DEFAULT;
            if (option(Nbd.OPT_INFO, exportQuery(entry.name()), this::information) != Nbd.REP_ACK || info == null) {
                throw new IOException(description + ": the server gave no information on export '" + entry.name()
                        + "'" + reason(lastError));
            }
            List<String> contexts = new ArrayList<>();
            if (structured) {
                option(Nbd.OPT_LIST_META_CONTEXT, metaContextQuery(entry.name(), List.of()),
                        reply -> contexts.add(MetaContext.decode(reply).name()));
            }
            listings.add(new ExportListing(entry.name(), entry.description(), info.size(), info.flags(), sizes, contexts));
        }
        abort();
        return listings;
    }

    /** Ends the handshake politely; the server may close without answering. */
    void abort() {
        try {
            option(Nbd.OPT_ABORT, ByteBuffer.allocate(0), null);
        } catch (IOException e) {
            // Leaving anyway.
        }
    }

    private void information(ByteBuffer reply) throws IOException {
        Wire.need(reply, 2, "information reply");
        int type = Short.toUnsignedInt(reply.getShort());
        if (type == Nbd.INFO_EXPORT) {
            info = ExportInfo.decode(reply);
        } else if (type == Nbd.INFO_BLOCK_SIZE) {
            sizes = BlockSizes.decode(reply);
        }
    }

    private static ByteBuffer exportQuery(String export) {
        ExportRequest request = new ExportRequest(export, List.of(Nbd.INFO_BLOCK_SIZE));
        ByteBuffer data = ByteBuffer.allocate(request.size());
        request.encode(data);
        return data.flip();
    }

    private static ByteBuffer metaContextQuery(String export, List<String> queries) {
        MetaContextRequest request = new MetaContextRequest(export, queries);
        ByteBuffer data = ByteBuffer.allocate(request.size());
        request.encode(data);
        return data.flip();
    }

    /** For servers without GO: the old way, which cannot say why it refuses. */
    private void exportName(String export) throws IOException {
        byte[] name = Wire.utf8(export);
        ByteBuffer request = ByteBuffer.allocate(OptionRequest.SIZE + name.length);
        new OptionRequest(Nbd.OPT_EXPORT_NAME, name.length).encode(request);
        Wire.writeFully(channel, request.put(name).flip());
        try {
            info = ExportInfo.decode(Wire.read(channel, ExportInfo.SIZE));
        } catch (EOFException e) {
            throw new NoSuchFileException(description, null, "Requested export not available");
        }
        if (!noZeroes) {
            Wire.skip(channel, ExportInfo.EXPORT_NAME_PADDING);
        }
        structured = false;
        allocationContext = -1;
    }

    private interface ReplyBody {
        void accept(ByteBuffer body) throws IOException;
    }

    /** Sends an option and reads its replies; @return the final reply's type (ACK or an error) */
    private int option(int option, ByteBuffer data, ReplyBody partial) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(OptionRequest.SIZE);
        new OptionRequest(option, data.remaining()).encode(header);
        Wire.writeFully(channel, header.flip(), data);
        while (true) {
            OptionReply reply = OptionReply.decode(Wire.read(channel, OptionReply.SIZE));
            if (reply.option() != option) {
                throw new ProtocolException(description + ": reply to option " + reply.option()
                        + " where " + option + " was sent");
            }
            if (reply.length() > (1 << 20)) {
                throw new ProtocolException(description + ": option reply of " + reply.length() + " bytes");
            }
            ByteBuffer body = Wire.read(channel, (int) reply.length());
            if (reply.type() == Nbd.REP_ACK) {
                return Nbd.REP_ACK;
            }
            if (reply.isError()) {
                lastError = Wire.string(body, body.remaining(), "error message");
                return reply.type();
            }
            if (partial != null) {
                partial.accept(body);
            }
        }
    }

    /** The server's own words on a line of their own, as qemu's tools print them. */
    private static String reason(String message) {
        return message.isEmpty() ? "" : "\nserver reported: " + message;
    }

    private IOException refused(int type, String message) {
        if (type == Nbd.REP_ERR_UNKNOWN) {
            return new NoSuchFileException(description, null, "Requested export not available" + reason(message));
        }
        return new IOException(description + ": the server refused the export (reply type 0x"
                + Integer.toHexString(type) + ")" + reason(message));
    }
}

package org.jblock.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

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
 * The server's side of the fixed newstyle handshake: greet, then answer options until the client
 * picks an export (GO or EXPORT_NAME) or leaves (ABORT, or closing the connection).
 */
final class Negotiation {
    /** Option data longer than this is skipped and refused as too big, never held. */
    static final int MAX_OPTION_DATA = 1 << 20;
    /** The id of {@code base:allocation} in block status replies. */
    static final int ALLOCATION_CONTEXT_ID = 1;

    /** What the handshake agreed: the export and how to speak during transmission. */
    record Session(NbdExport export, long size, int flags, boolean structured, boolean allocationContext) {
    }

    private final NbdServer server;
    private final SocketChannel channel;
    private boolean noZeroes;
    private boolean structured;
    /** The export that SET_META_CONTEXT selected {@code base:allocation} for, or null. */
    private String allocationExport;

    Negotiation(NbdServer server, SocketChannel channel) {
        this.server = server;
        this.channel = channel;
    }

    /** @return the session, or null when the client ended the handshake without choosing an export */
    Session run() throws IOException {
        ByteBuffer greeting = ByteBuffer.allocate(18);
        greeting.putLong(Nbd.NBDMAGIC).putLong(Nbd.IHAVEOPT)
                .putShort((short) (Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES)).flip();
        Wire.writeFully(channel, greeting);
        int clientFlags = Wire.read(channel, 4).getInt();
        if ((clientFlags & ~(Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES)) != 0) {
            throw new ProtocolException("unknown client flags 0x" + Integer.toHexString(clientFlags));
        }
        noZeroes = (clientFlags & Nbd.FLAG_NO_ZEROES) != 0;
        while (true) {
            OptionRequest option = OptionRequest.decode(Wire.read(channel, OptionRequest.SIZE));
            if (option.length() > MAX_OPTION_DATA) {
                Wire.skip(channel, option.length());
                reply(option.option(), Nbd.REP_ERR_TOO_BIG, "option '" + Nbd.optionName(option.option())
                        + "' of " + option.length() + " bytes is too long");
                continue;
            }
            ByteBuffer data = Wire.read(channel, (int) option.length());
            if (server.isClosing() && option.option() != Nbd.OPT_ABORT) {
                reply(option.option(), Nbd.REP_ERR_SHUTDOWN, "server is shutting down");
                continue;
            }
            Session session = answer(option.option(), data);
            if (session != null || option.option() == Nbd.OPT_ABORT) {
                return session;
            }
        }
    }

    /** @return the session when the option starts transmission, else null */
    private Session answer(int option, ByteBuffer data) throws IOException {
        switch (option) {
            case Nbd.OPT_EXPORT_NAME:
                return exportName(data);
            case Nbd.OPT_ABORT:
                try {
                    reply(option, Nbd.REP_ACK, ByteBuffer.allocate(0));
                } catch (IOException e) {
                    // The client may close without waiting for the acknowledgement.
                }
                return null;
            case Nbd.OPT_LIST:
                if (data.hasRemaining()) {
                    reply(option, Nbd.REP_ERR_INVALID, "option 'list' has unexpected length");
                    return null;
                }
                for (NbdExport export : server.exports()) {
                    ExportEntry entry = new ExportEntry(export.name(),
                            export.description() == null ? "" : export.description());
                    ByteBuffer body = ByteBuffer.allocate(entry.size());
                    entry.encode(body);
                    reply(option, Nbd.REP_SERVER, body.flip());
                }
                reply(option, Nbd.REP_ACK, ByteBuffer.allocate(0));
                return null;
            case Nbd.OPT_INFO:
            case Nbd.OPT_GO:
                return infoOrGo(option, data);
            case Nbd.OPT_STRUCTURED_REPLY:
                if (data.hasRemaining()) {
                    reply(option, Nbd.REP_ERR_INVALID, "option 'structured reply' has unexpected length");
                } else if (structured) {
                    reply(option, Nbd.REP_ERR_INVALID, "structured reply is already negotiated");
                } else {
                    structured = true;
                    reply(option, Nbd.REP_ACK, ByteBuffer.allocate(0));
                }
                return null;
            case Nbd.OPT_LIST_META_CONTEXT:
            case Nbd.OPT_SET_META_CONTEXT:
                metaContext(option, data);
                return null;
            default:
                reply(option, Nbd.REP_ERR_UNSUP, "Unsupported option " + Integer.toUnsignedString(option)
                        + " (" + Nbd.optionName(option) + ")");
                return null;
        }
    }

    private Session exportName(ByteBuffer data) throws IOException {
        String name = Wire.string(data, data.remaining(), "export name");
        NbdExport export = server.export(name);
        if (export == null) {
            // This option has no way to refuse: the specification says to drop the connection.
            throw new ProtocolException("client asked for export '" + name + "', which is not present");
        }
        Session session = session(export);
        ByteBuffer reply = ByteBuffer.allocate(ExportInfo.SIZE + (noZeroes ? 0 : ExportInfo.EXPORT_NAME_PADDING));
        new ExportInfo(session.size(), session.flags()).encode(reply);
        reply.position(reply.limit());
        Wire.writeFully(channel, reply.flip());
        return session;
    }

    private Session infoOrGo(int option, ByteBuffer data) throws IOException {
        ExportRequest request;
        try {
            request = ExportRequest.decode(data);
        } catch (ProtocolException e) {
            reply(option, Nbd.REP_ERR_INVALID, e.getMessage());
            return null;
        }
        NbdExport export = server.export(request.name());
        if (export == null) {
            reply(option, Nbd.REP_ERR_UNKNOWN, "export '" + request.name() + "' not present");
            return null;
        }
        Session session = session(export);
        if (request.infos().contains(Nbd.INFO_NAME)) {
            byte[] name = export.name().getBytes(StandardCharsets.UTF_8);
            reply(option, Nbd.REP_INFO, ByteBuffer.allocate(2 + name.length)
                    .putShort((short) Nbd.INFO_NAME).put(name).flip());
        }
        if (request.infos().contains(Nbd.INFO_DESCRIPTION) && export.description() != null) {
            byte[] text = Wire.utf8(export.description());
            reply(option, Nbd.REP_INFO, ByteBuffer.allocate(2 + text.length)
                    .putShort((short) Nbd.INFO_DESCRIPTION).put(text).flip());
        }
        ByteBuffer sizes = ByteBuffer.allocate(2 + BlockSizes.SIZE).putShort((short) Nbd.INFO_BLOCK_SIZE);
        BlockSizes.DEFAULT.encode(sizes);
        reply(option, Nbd.REP_INFO, sizes.flip());
        ByteBuffer info = ByteBuffer.allocate(2 + ExportInfo.SIZE).putShort((short) Nbd.INFO_EXPORT);
        new ExportInfo(session.size(), session.flags()).encode(info);
        reply(option, Nbd.REP_INFO, info.flip());
        reply(option, Nbd.REP_ACK, ByteBuffer.allocate(0));
        return option == Nbd.OPT_GO ? session : null;
    }

    private void metaContext(int option, ByteBuffer data) throws IOException {
        String name = Nbd.optionName(option);
        if (!structured) {
            reply(option, Nbd.REP_ERR_INVALID, "request option '" + name
                    + "' when structured reply is not negotiated");
            return;
        }
        MetaContextRequest request;
        try {
            request = MetaContextRequest.decode(data);
        } catch (ProtocolException e) {
            reply(option, Nbd.REP_ERR_INVALID, e.getMessage());
            return;
        }
        if (server.export(request.export()) == null) {
            reply(option, Nbd.REP_ERR_UNKNOWN, "export '" + request.export() + "' not present");
            return;
        }
        boolean list = option == Nbd.OPT_LIST_META_CONTEXT;
        boolean allocation = false;
        for (String query : request.queries()) {
            // "base:" lists every context of the namespace; while setting, only exact names count.
            allocation |= query.equals(Nbd.BASE_ALLOCATION) || (list && query.equals("base:"));
        }
        if (list && request.queries().isEmpty()) {
            allocation = true;
        }
        if (allocation) {
            MetaContext context = new MetaContext(list ? 0 : ALLOCATION_CONTEXT_ID, Nbd.BASE_ALLOCATION);
            ByteBuffer body = ByteBuffer.allocate(context.size());
            context.encode(body);
            reply(option, Nbd.REP_META_CONTEXT, body.flip());
        }
        if (!list) {
            allocationExport = allocation ? request.export() : null;
        }
        reply(option, Nbd.REP_ACK, ByteBuffer.allocate(0));
    }

    private Session session(NbdExport export) throws IOException {
        boolean readOnly = export.image().isReadOnly();
        int flags = Nbd.FLAG_HAS_FLAGS | Nbd.FLAG_SEND_FLUSH | Nbd.FLAG_SEND_FUA | Nbd.FLAG_SEND_CACHE;
        if (readOnly) {
            flags |= Nbd.FLAG_READ_ONLY;
        } else {
            flags |= Nbd.FLAG_SEND_TRIM | Nbd.FLAG_SEND_WRITE_ZEROES | Nbd.FLAG_SEND_FAST_ZERO;
        }
        if (structured) {
            flags |= Nbd.FLAG_SEND_DF;
        }
        if (server.multiConnection()) {
            flags |= Nbd.FLAG_CAN_MULTI_CONN;
        }
        return new Session(export, export.image().size(), flags, structured,
                structured && export.name().equals(allocationExport));
    }

    private void reply(int option, int type, String message) throws IOException {
        reply(option, type, ByteBuffer.wrap(Wire.utf8(message)));
    }

    private void reply(int option, int type, ByteBuffer body) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(OptionReply.SIZE);
        new OptionReply(option, type, body.remaining()).encode(header);
        Wire.writeFully(channel, header.flip(), body);
    }
}

package org.jblock.protocol.ssh;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jblock.api.spi.support.Sockets;

/**
 * One SFTP version 3 session with a server, over the standard streams of an {@code ssh -s HOST sftp}
 * process: the requests a block device needs (open, read, write, fstat, fsetstat for the size,
 * close, {@code fsync@openssh.com}). Not thread-safe: its one user serialises the requests; a read
 * or write of many pieces sends them all before it waits for the replies.
 *
 * <p>Failures before the session stands are said as QEMU's ssh driver says them where the cause is
 * the network ({@code Failed to connect to 'HOST:PORT': Connection refused}), else in the client's
 * words.
 */
final class SftpSession implements AutoCloseable {
    /** How long a client that was told to stop may take before it is killed. */
    private static final long EXIT_WAIT_SECONDS = 5;
    /** How many pieces of one read or write are in flight at once. */
    private static final int WINDOW = 16;

    private final SshAddress address;
    private final Process process;
    private final DataInputStream in;
    private final DataOutputStream out;
    private final Thread stderrReader;
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final boolean fsync;
    private int nextId = 1;

    private SftpSession(SshAddress address, Process process) throws IOException {
        this.address = address;
        this.process = process;
        this.in = new DataInputStream(new BufferedInputStream(process.getInputStream(), 1 << 16));
        this.out = new DataOutputStream(new BufferedOutputStream(process.getOutputStream(), 1 << 16));
        this.stderrReader = new Thread(() -> drain(process.getErrorStream()), "ssh stderr " + address.host());
        stderrReader.setDaemon(true);
        stderrReader.start();
        this.fsync = handshake();
    }

    /** Starts the client and agrees on SFTP version 3 with the server. */
    static SftpSession open(SshAddress address, List<String> ssh) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(address.command(ssh));
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new IOException("Cannot run the SSH client '" + ssh.get(0) + "': " + Sockets.reason(e)
                    + " (install OpenSSH's client, or name one with -Djblock.ssh.command)", e);
        }
        return new SftpSession(address, process);
    }

    private boolean handshake() throws IOException {
        try {
            out.writeInt(5);
            out.writeByte(Sftp.INIT);
            out.writeInt(Sftp.VERSION);
            out.flush();
            int length = in.readInt();
            if (length < 5 || length > Sftp.MAX_PACKET) {
                throw new IOException(address.host() + ": the SSH server's SFTP subsystem answered nonsense");
            }
            byte type = in.readByte();
            int version = in.readInt();
            if (type != Sftp.VERSION_REPLY || version < Sftp.VERSION) {
                throw new IOException(address.host() + ": the SSH server does not speak SFTP version 3");
            }
            boolean fsync = false;
            int left = length - 5;
            while (left > 0) {
                String name = string();
                String data = string();
                left -= 8 + name.getBytes(StandardCharsets.UTF_8).length + data.getBytes(StandardCharsets.UTF_8).length;
                fsync |= name.equals(Sftp.FSYNC);
            }
            return fsync;
        } catch (IOException e) {
            IOException failure = startFailure(e);
            kill();
            throw failure;
        }
    }

    /**
     * @return why the client could not start a session: QEMU's words for a server that cannot be
     *         reached (tried again here, as QEMU connects itself), else the client's last words
     */
    private IOException startFailure(IOException e) {
        String said = waitForStderr();
        boolean network = said.isEmpty() || said.contains("connect to host") || said.contains("Could not resolve")
                || said.contains("Bad port") || said.contains("Connection closed by") && said.contains("port");
        if (network) {
            try {
                Sockets.connect(address.host(), address.portOrDefault()).close();
            } catch (IOException unreachable) {
                return unreachable;
            } catch (RuntimeException unreachable) {
                return new IOException("Failed to connect to '" + address.host() + ":" + address.portOrDefault()
                        + "': " + unreachable.getMessage(), unreachable);
            }
        }
        if (said.contains("Permission denied")) {
            return new AccessDeniedException(address.uri(), null, "failed to authenticate using publickey"
                    + " authentication and the identities held by your ssh-agent (" + said + ")");
        }
        if (said.contains("Host key verification failed") || said.contains("REMOTE HOST IDENTIFICATION")) {
            return new IOException(address.uri() + ": the host key is unknown or does not match the one in"
                    + " known_hosts (host-key-check.mode=none skips the check)", e);
        }
        return new IOException(address.uri() + ": the SSH client failed" + (said.isEmpty() ? " (" + Sockets.reason(e)
                + ")" : ": " + said), e);
    }

    /** @return what the client wrote on stderr, once it has exited (or after a while) */
    private String waitForStderr() {
        try {
            out.close();
        } catch (IOException ignored) {
            // The client is gone already.
        }
        try {
            process.waitFor(EXIT_WAIT_SECONDS, TimeUnit.SECONDS);
            stderrReader.join(TimeUnit.SECONDS.toMillis(EXIT_WAIT_SECONDS));
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
        String text;
        synchronized (stderr) {
            text = stderr.toString(StandardCharsets.UTF_8);
        }
        StringBuilder lines = new StringBuilder();
        for (String line : text.strip().split("\n")) {
            String trimmed = line.strip();
            if (!trimmed.isEmpty() && !trimmed.startsWith("Warning: Permanently added")) {
                lines.append(lines.length() == 0 ? "" : "; ").append(trimmed);
            }
        }
        return lines.toString();
    }

    private void drain(InputStream errors) {
        byte[] buffer = new byte[4096];
        try (errors) {
            for (int n; (n = errors.read(buffer)) >= 0; ) {
                synchronized (stderr) {
                    if (stderr.size() < 64 * 1024) {
                        stderr.write(buffer, 0, n);
                    }
                }
            }
        } catch (IOException ignored) {
            // The client is gone; what it said is kept.
        }
    }

    /** @return whether the server makes writes durable on request ({@code fsync@openssh.com}) */
    boolean canFsync() {
        return fsync;
    }

    /**
     * Opens the file {@code path} on the server.
     *
     * @return the server's handle
     */
    byte[] open(String path, int flags) throws IOException {
        int id = send(Sftp.OPEN, packet -> {
            putString(packet, path.getBytes(StandardCharsets.UTF_8));
            packet.writeInt(flags);
            packet.writeInt(0);
        });
        Reply reply = reply(id);
        if (reply.type == Sftp.HANDLE) {
            return reply.bytes();
        }
        throw statusError(reply, path);
    }

    /** @return the file's size, as the server says it */
    long size(byte[] handle) throws IOException {
        int id = send(Sftp.FSTAT, packet -> putString(packet, handle));
        Reply reply = reply(id);
        if (reply.type != Sftp.ATTRS) {
            throw statusError(reply, address.path());
        }
        int flags = reply.data.getInt();
        if ((flags & Sftp.ATTR_SIZE) == 0) {
            throw new IOException(address.uri() + ": the SSH server does not tell the file's size");
        }
        return reply.data.getLong();
    }

    /** Sets the file's size (truncating or extending it). */
    void setSize(byte[] handle, long size) throws IOException {
        int id = send(Sftp.FSETSTAT, packet -> {
            putString(packet, handle);
            packet.writeInt(Sftp.ATTR_SIZE);
            packet.writeLong(size);
        });
        expectOk(reply(id));
    }

    /**
     * Reads {@code dst.remaining()} bytes at {@code offset}, or fewer when the file ends.
     *
     * @return the bytes read: fewer than asked only at the end of the file
     */
    int read(byte[] handle, long offset, ByteBuffer dst) throws IOException {
        int total = dst.remaining();
        int start = dst.position();
        int[] got = new int[(total + Sftp.PIECE - 1) / Sftp.PIECE];
        pipelined(total, (at, length) -> send(Sftp.READ, packet -> {
            putString(packet, handle);
            packet.writeLong(offset + at);
            packet.writeInt(length);
        }), (piece, want, reply) -> {
            if (reply.type == Sftp.DATA) {
                int length = reply.data.getInt();
                if (length > want || length > reply.data.remaining()) {
                    return new IOException(address.uri() + ": the SSH server sent more than was asked");
                }
                reply.data.get(dst.array(), dst.arrayOffset() + start + piece * Sftp.PIECE, length);
                got[piece] = length;
                return null;
            }
            if (reply.type == Sftp.STATUS && reply.data.getInt(0) == Sftp.EOF) {
                got[piece] = 0;
                return null;
            }
            return statusError(reply, address.path());
        });
        int done = 0;
        while (done < total && got[done / Sftp.PIECE] > 0) {
            int piece = done / Sftp.PIECE;
            done += got[piece];
            if (got[piece] < Math.min(Sftp.PIECE, total - piece * Sftp.PIECE)) {
                break;
            }
        }
        dst.position(start + done);
        return done;
    }

    /** Writes all of {@code src} at {@code offset}. */
    void write(byte[] handle, long offset, ByteBuffer src) throws IOException {
        int from = src.position();
        pipelined(src.remaining(), (at, length) -> send(Sftp.WRITE, packet -> {
            putString(packet, handle);
            packet.writeLong(offset + at);
            packet.writeInt(length);
            byte[] bytes = new byte[length];
            src.duplicate().position(from + (int) at).get(bytes);
            packet.write(bytes);
        }), (piece, want, reply) -> isOk(reply) ? null : statusError(reply, address.path()));
        src.position(src.limit());
    }

    /** Sends the request for one piece: {@code length} bytes at {@code at} from the start of the transfer. */
    @FunctionalInterface
    private interface PieceRequest {
        int send(long at, int length) throws IOException;
    }

    /** Takes the reply to one piece of {@code want} bytes: null when it is good, else the failure. */
    @FunctionalInterface
    private interface PieceReply {
        IOException take(int piece, int want, Reply reply) throws IOException;
    }

    /**
     * Moves {@code total} bytes as pieces of {@link Sftp#PIECE}, at most {@link #WINDOW} requests
     * unanswered, each reply handed to {@code answer} with the piece it answers. Every reply in
     * flight is read before a failure is thrown: the next request must find the stream at its own
     * reply.
     */
    private void pipelined(int total, PieceRequest request, PieceReply answer) throws IOException {
        int pieces = (total + Sftp.PIECE - 1) / Sftp.PIECE;
        Map<Integer, Integer> byId = new HashMap<>();
        int sent = 0;
        int received = 0;
        IOException failure = null;
        while (received < pieces) {
            while (sent < pieces && sent - received < WINDOW) {
                long at = (long) sent * Sftp.PIECE;
                byId.put(request.send(at, (int) Math.min(Sftp.PIECE, total - at)), sent);
                sent++;
            }
            flush();
            Reply reply = nextReply();
            Integer piece = byId.remove(reply.id);
            if (piece == null) {
                throw new IOException(address.uri() + ": the SSH server answered a request never sent");
            }
            received++;
            if (failure == null) {
                failure = answer.take(piece, Math.min(Sftp.PIECE, total - piece * Sftp.PIECE), reply);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Makes the file's writes durable ({@code fsync@openssh.com}); the caller checks {@link #canFsync()}. */
    void fsync(byte[] handle) throws IOException {
        int id = send(Sftp.EXTENDED, packet -> {
            putString(packet, Sftp.FSYNC.getBytes(StandardCharsets.UTF_8));
            putString(packet, handle);
        });
        expectOk(reply(id));
    }

    /** Closes a handle the server gave. */
    void close(byte[] handle) throws IOException {
        int id = send(Sftp.CLOSE, packet -> putString(packet, handle));
        expectOk(reply(id));
    }

    /** Ends the session: the client is told to stop by the end of its input, and killed if it does not. */
    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException ignored) {
            // Already gone.
        }
        try {
            if (!process.waitFor(EXIT_WAIT_SECONDS, TimeUnit.SECONDS)) {
                kill();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
        }
    }

    private void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(EXIT_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // --- packets -----------------------------------------------------------------------------------

    private interface Body {
        void write(DataOutputStream packet) throws IOException;
    }

    /** A reply: its type, its request's id and what follows the id. */
    private record Reply(byte type, int id, ByteBuffer data) {
        byte[] bytes() {
            byte[] bytes = new byte[data.getInt()];
            data.get(bytes);
            return bytes;
        }
    }

    /** Queues a request; {@link #flush()} or {@link #reply} sends it. @return its id */
    private int send(byte type, Body body) throws IOException {
        int id = nextId++;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        DataOutputStream packet = new DataOutputStream(bytes);
        packet.writeByte(type);
        packet.writeInt(id);
        body.write(packet);
        try {
            out.writeInt(bytes.size());
            bytes.writeTo(out);
        } catch (IOException e) {
            throw lost(e);
        }
        return id;
    }

    private void flush() throws IOException {
        try {
            out.flush();
        } catch (IOException e) {
            throw lost(e);
        }
    }

    /** Sends what is queued and reads the reply to request {@code id}, the only one in flight. */
    private Reply reply(int id) throws IOException {
        flush();
        Reply reply = nextReply();
        if (reply.id != id) {
            throw new IOException(address.uri() + ": the SSH server answered a request never sent");
        }
        return reply;
    }

    private Reply nextReply() throws IOException {
        try {
            int length = in.readInt();
            if (length < 5 || length > Sftp.MAX_PACKET) {
                throw new IOException(address.uri() + ": the SSH server sent a packet of " + length + " bytes");
            }
            byte[] packet = new byte[length];
            in.readFully(packet);
            ByteBuffer data = ByteBuffer.wrap(packet);
            byte type = data.get();
            int id = data.getInt();
            return new Reply(type, id, data.slice());
        } catch (EOFException e) {
            throw lost(e);
        }
    }

    private IOException lost(IOException e) {
        String said;
        synchronized (stderr) {
            said = stderr.toString(StandardCharsets.UTF_8).strip();
        }
        return new IOException(address.uri() + ": the SSH connection was lost" + (said.isEmpty() ? "" : " (" + said + ")"), e);
    }

    private static boolean isOk(Reply reply) {
        return reply.type == Sftp.STATUS && reply.data.getInt(0) == Sftp.OK;
    }

    private void expectOk(Reply reply) throws IOException {
        if (!isOk(reply)) {
            throw statusError(reply, address.path());
        }
    }

    /** @return the server's refusal as an exception: a missing file, a denied one, or its message */
    private IOException statusError(Reply reply, String path) {
        if (reply.type != Sftp.STATUS) {
            return new IOException(address.uri() + ": the SSH server sent an unexpected reply (type " + reply.type + ")");
        }
        ByteBuffer data = reply.data.duplicate();
        int code = data.getInt();
        String message = Sftp.describe(code);
        if (data.remaining() >= 4) {
            int length = data.getInt();
            if (length > 0 && length <= data.remaining()) {
                byte[] text = new byte[length];
                data.get(text);
                message = new String(text, StandardCharsets.UTF_8);
            }
        }
        String where = address.uri();
        switch (code) {
            case Sftp.NO_SUCH_FILE:
                return new NoSuchFileException(where, null, "SFTP server: " + message);
            case Sftp.PERMISSION_DENIED:
                return new AccessDeniedException(where, null, "SFTP server: " + message);
            default:
                return new IOException(where + ": SFTP server: " + message + " (" + path + ")");
        }
    }

    private String string() throws IOException {
        int length = in.readInt();
        if (length < 0 || length > Sftp.MAX_PACKET) {
            throw new IOException(address.host() + ": the SSH server's SFTP subsystem answered nonsense");
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static void putString(DataOutputStream packet, byte[] bytes) throws IOException {
        packet.writeInt(bytes.length);
        packet.write(bytes);
    }
}

package org.jblock.tests.interop;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** What the tests that start a real server (nginx, sshd) on 127.0.0.1 share: a port, a pause, a stop. */
final class LocalServers {

    private LocalServers() {
    }

    /** @return a port on 127.0.0.1 that was free a moment ago (the server may lose it to another: retry) */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** What shows that a server that accepted a connection is ready (nginx: the connection; sshd: its banner). */
    @FunctionalInterface
    interface Ready {
        boolean test(Socket connected) throws IOException;
    }

    /**
     * Waits until {@code process} accepts connections on 127.0.0.1's {@code port} and one of them
     * passes {@code ready}.
     *
     * @return false when the process exited first (another took the port)
     * @throws IOException when the time is up
     */
    static boolean awaitListening(Process process, int port, Duration timeout, String server, Ready ready)
            throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                return false;
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
                socket.setSoTimeout(5000);
                if (ready.test(socket)) {
                    return true;
                }
            } catch (IOException notYet) {
                // Not listening yet.
            }
            sleep(50, server);
        }
        throw new IOException(server + " did not listen on port " + port + " within " + timeout);
    }

    /** A server process started by a test, with what it said so far (for a failure's message). */
    interface Started extends AutoCloseable {
        Process process();

        String said() throws IOException;

        /** Stops the process: asked first, killed when it does not end. */
        @Override
        default void close() {
            stop(process());
        }
    }

    /** @return what a server wrote into {@code log}, or {@code none} when it wrote no such file */
    static String said(Path log, String none) throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8).trim() : none;
    }

    /** Starts the server on a given port: writes its configuration and starts its process. */
    @FunctionalInterface
    interface Launch<S extends Started> {
        S on(int port) throws IOException;
    }

    /**
     * Starts a server on a free port of 127.0.0.1, trying another port when the process exits
     * before it listens (another took the port between {@link #freePort()} and the start), and
     * waits until a connection passes {@code ready}.
     *
     * @return the started server, listening
     * @throws IOException when it does not start, with what it said
     */
    static <S extends Started> S start(String server, int attempts, Duration timeout, Ready ready, Launch<S> launch)
            throws IOException {
        IOException last = new IOException(server + " was not started");
        for (int attempt = 0; attempt < attempts; attempt++) {
            int port = freePort();
            S started = launch.on(port);
            try {
                if (awaitListening(started.process(), port, timeout, server, ready)) {
                    return started;
                }
                last = new IOException(server + " did not start on port " + port + ": " + started.said());
            } catch (IOException e) {
                String said = started.said();
                started.close();
                throw new IOException(e.getMessage() + ": " + said, e);
            } catch (RuntimeException e) {
                started.close();
                throw e;
            }
            started.close();
        }
        throw last;
    }

    /** Waits {@code millis} while {@code server} starts. */
    static void sleep(long millis, String server) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for " + server, e);
        }
    }

    /** Stops a server: politely, then by force, each within a bounded time. */
    static void stop(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}

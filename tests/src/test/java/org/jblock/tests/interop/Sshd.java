package org.jblock.tests.interop;

import java.io.File;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.jblock.tests.interop.RealTools.Tool;

/**
 * A real OpenSSH server on 127.0.0.1 with an ephemeral port, run as the current user (root too)
 * with a host key and an authorized client key it generates in a folder of its own, and the SFTP
 * subsystem. {@link #clientCommand()} is an {@code ssh} command that logs in with that key and
 * trusts that host key alone (the user's own keys and known hosts are not used). {@link #close()}
 * stops it.
 */
final class Sshd implements LocalServers.Started {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(15);
    /** Another process may take the port between our probe and sshd's bind: try again a few times. */
    private static final int PORT_ATTEMPTS = 5;
    /** Where sshd run by root wants its privilege separation folder (Debian's service creates it). */
    private static final Path PRIVILEGE_SEPARATION = Path.of("/run/sshd");

    private final Path state;
    private final Process process;
    private final int port;

    private Sshd(Path state, Process process, int port) {
        this.state = state;
        this.process = process;
        this.port = port;
    }

    /** Starts sshd with its files in {@code state}. Requires sshd, ssh and ssh-keygen. */
    static Sshd start(Path state) throws IOException {
        RealTools.require(Tool.SSHD, Tool.SSH, Tool.SSH_KEYGEN);
        String sshd = RealTools.locate(Tool.SSHD).orElseThrow();
        Files.createDirectories(state);
        keygen(state.resolve("host_key"));
        keygen(state.resolve("client_key"));
        Files.copy(state.resolve("client_key.pub"), state.resolve("authorized_keys"));
        if (isRoot() && !Files.isDirectory(PRIVILEGE_SEPARATION)) {
            Files.createDirectories(PRIVILEGE_SEPARATION);
        }
        Sshd server = LocalServers.start("sshd", PORT_ATTEMPTS, START_TIMEOUT, Sshd::greets, port -> {
            Path conf = state.resolve("sshd_config");
            Files.writeString(conf, serverConfig(state, port), StandardCharsets.UTF_8);
            Process process = new ProcessBuilder(List.of(sshd, "-D", "-e", "-f", conf.toString()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(state.resolve("sshd.log").toFile())
                    .redirectErrorStream(true)
                    .start();
            return new Sshd(state, process, port);
        });
        try {
            Files.writeString(state.resolve("known_hosts"), "[127.0.0.1]:" + server.port + " "
                    + Files.readString(state.resolve("host_key.pub"), StandardCharsets.UTF_8));
            Files.writeString(state.resolve("ssh_config"), clientConfig(state), StandardCharsets.UTF_8);
            return server;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** @return whether the server at the other end says it speaks SSH */
    private static boolean greets(Socket connected) throws IOException {
        byte[] banner = connected.getInputStream().readNBytes(4);
        return new String(banner, StandardCharsets.US_ASCII).equals("SSH-");
    }

    private static void keygen(Path key) throws IOException {
        RealTools.run(Tool.SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", "jblock test", "-f", key.toString())
                .assertSucceeded();
    }

    private static String serverConfig(Path state, int port) {
        return String.join("\n",
                "ListenAddress 127.0.0.1:" + port,
                "HostKey " + state.resolve("host_key"),
                "PidFile none",
                "AuthorizedKeysFile " + state.resolve("authorized_keys"),
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitRootLogin prohibit-password",
                // A server run by a user checks accounts through PAM (without it a user with a locked
                // password is refused); a root one does not, as PAM's session modules (loginuid)
                // fail in containers.
                "UsePAM " + (isRoot() ? "no" : "yes"),
                // The test's folders belong to the user but may sit below a world-writable /tmp.
                "StrictModes no",
                "Subsystem sftp internal-sftp",
                "LogLevel ERROR",
                "");
    }

    private static String clientConfig(Path state) {
        return String.join("\n",
                "Host *",
                "  IdentityFile " + state.resolve("client_key"),
                "  IdentitiesOnly yes",
                "  IdentityAgent none",
                "  UserKnownHostsFile " + state.resolve("known_hosts"),
                "  GlobalKnownHostsFile /dev/null",
                "  StrictHostKeyChecking yes",
                "  ConnectTimeout 10",
                "");
    }


    /** @return the server's port on 127.0.0.1 */
    int port() {
        return port;
    }

    /** @return {@code ssh://127.0.0.1:PORT/ABSOLUTE-PATH} for a local file, which this server serves */
    String uri(Path file) {
        return "ssh://127.0.0.1:" + port + file.toAbsolutePath();
    }

    /** @return the client command that logs in to this server with its key and trusts its host key alone */
    String clientCommand() {
        return RealTools.locate(Tool.SSH).orElseThrow() + " -F " + state.resolve("ssh_config");
    }

    @Override
    public Process process() {
        return process;
    }

    /** @return what sshd has logged */
    @Override
    public String said() throws IOException {
        return LocalServers.said(state.resolve("sshd.log"), "(no log)");
    }

}

package org.jblock.protocol.ssh;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jblock.api.BlockFile;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.OptionSpec;
import org.jblock.api.Options;
import org.jblock.api.UnsupportedFeatureException;
import org.jblock.api.spi.BlockProtocol;
import org.jblock.api.spi.ProtocolRequest;

/**
 * QEMU's {@code ssh} driver: a file on an SSH server, through the system's SSH client and SFTP. See
 * the module's description for the names and options it takes.
 */
public final class SshProtocol implements BlockProtocol {
    /** The system property that names the SSH client command instead of {@code ssh}. */
    static final String COMMAND_PROPERTY = "jblock.ssh.command";

    static final OptionSpec<String> SERVER_HOST = OptionSpec.string("server.host", null, "the SSH server's host name or address");
    static final OptionSpec<String> SERVER_PORT = OptionSpec.string("server.port", null, "the SSH server's port (default 22)");
    static final OptionSpec<String> PATH = OptionSpec.string("path", null, "the file's path on the server");
    static final OptionSpec<String> USER = OptionSpec.string("user", null, "the user to log in as (default: the client's)");
    static final OptionSpec<String> HOST_KEY_CHECK_MODE = OptionSpec.choice("host-key-check.mode", null,
            "none (no check) or known_hosts (the client's known_hosts files)", "none", "hash", "known_hosts");
    static final OptionSpec<String> HOST_KEY_CHECK_TYPE = OptionSpec.string("host-key-check.type", null,
            "with mode=hash: md5, sha1 or sha256 (not supported)");
    static final OptionSpec<String> HOST_KEY_CHECK_HASH = OptionSpec.string("host-key-check.hash", null,
            "with mode=hash: the key's hash (not supported)");
    static final OptionSpec<String> HOST = OptionSpec.string("host", null, "older name of server.host");
    static final OptionSpec<String> PORT = OptionSpec.string("port", null, "older name of server.port");
    static final OptionSpec<String> LEGACY_HOST_KEY_CHECK = OptionSpec.string("host_key_check", null,
            "older form of host-key-check: no or yes");

    @Override
    public String name() {
        return "ssh";
    }

    @Override
    public String description() {
        return "a file on an SSH server, over SFTP";
    }

    @Override
    public Set<String> prefixes() {
        return Set.of("ssh");
    }

    @Override
    public Map<String, String> parseFilename(String filename) throws InvalidOptionException {
        return SshAddress.parseFilename(filename);
    }

    @Override
    public List<OptionSpec<?>> openOptions() {
        return List.of(SERVER_HOST, SERVER_PORT, PATH, USER, HOST_KEY_CHECK_MODE, HOST_KEY_CHECK_TYPE,
                HOST_KEY_CHECK_HASH, HOST, PORT, LEGACY_HOST_KEY_CHECK);
    }

    @Override
    public BlockFile open(ProtocolRequest request) throws IOException {
        return SftpBlockFile.open(address(request.options()), command(), request.readOnly(), false);
    }

    /** Creates the file (or empties it) and opens it for writing. */
    @Override
    public BlockFile create(ProtocolRequest request) throws IOException {
        return SftpBlockFile.open(address(request.options()), command(), false, true);
    }

    private static SshAddress address(Options options) throws IOException {
        return SshAddress.of(either(options.get(SERVER_HOST), options.get(HOST)),
                either(options.get(SERVER_PORT), options.get(PORT)), options.get(USER), options.get(PATH),
                hostKeyCheck(options));
    }

    /** @return {@code none} or {@code known_hosts}, from either form of the option */
    private static String hostKeyCheck(Options options) throws IOException {
        String mode = options.get(HOST_KEY_CHECK_MODE);
        String legacy = options.get(LEGACY_HOST_KEY_CHECK);
        if (mode == null && legacy != null) {
            switch (legacy) {
                case "no":
                    mode = "none";
                    break;
                case "yes":
                    mode = "known_hosts";
                    break;
                default:
                    if (legacy.startsWith("md5:") || legacy.startsWith("sha1:")) {
                        mode = "hash";
                        break;
                    }
                    throw new InvalidOptionException("unknown host_key_check setting (" + legacy + ")");
            }
        }
        if ("hash".equals(mode)) {
            throw new UnsupportedFeatureException("host-key-check.mode=hash is not supported: the SSH client checks"
                    + " host keys against known_hosts files (use known_hosts, or none)");
        }
        return mode == null ? "known_hosts" : mode;
    }

    /** @return the SSH client command: {@value #COMMAND_PROPERTY}'s words, or {@code ssh} */
    private static List<String> command() {
        String configured = System.getProperty(COMMAND_PROPERTY, "").strip();
        return configured.isEmpty() ? List.of("ssh") : Arrays.asList(configured.split("\\s+"));
    }

    private static String either(String value, String older) {
        return value != null ? value : older;
    }
}

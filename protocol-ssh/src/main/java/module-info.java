/**
 * QEMU's {@code ssh} protocol: an image in a file on an SSH server, read and written at any offset
 * over SFTP. Provides {@link org.jblock.api.spi.BlockProtocol}; exports nothing.
 *
 * <h2>How it connects</h2>
 * It runs the system's OpenSSH client ({@code ssh -s HOST sftp}) and speaks SFTP version 3 over its
 * standard input and output, so the user's {@code ~/.ssh/config}, keys and agent work as they do
 * in a shell. The client runs in batch mode: it never asks for a password or a host key on the
 * terminal. The system property {@code jblock.ssh.command} replaces {@code ssh} by another command
 * (words split at spaces, e.g. {@code ssh -F /etc/jblock/ssh_config}).
 *
 * <h2>Names and options</h2>
 * {@code ssh://[USER@]HOST[:PORT]/PATH[?host_key_check=no|yes]}; QEMU's keys {@code server.host},
 * {@code server.port}, {@code path}, {@code user}, {@code host-key-check.mode=none|known_hosts}, the
 * older {@code host}, {@code port} and {@code host_key_check=no|yes}.
 *
 * <h2>Limits</h2>
 * No holes, discard or cheap zero writes (SFTP has none); one request at a time per open image,
 * reads and writes of many pieces pipelined. {@code host-key-check.mode=hash} is refused: the
 * client checks host keys against known_hosts files only.
 */
module org.jblock.protocol.ssh {
    requires org.jblock.api;

    provides org.jblock.api.spi.BlockProtocol with org.jblock.protocol.ssh.SshProtocol;
}

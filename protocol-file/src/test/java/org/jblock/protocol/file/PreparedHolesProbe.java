package org.jblock.protocol.file;

import java.nio.file.Path;

import org.jblock.api.BlockFile;

/**
 * Run in a JVM of its own by {@link LocalBlockFileHolesTest}, so that the hole functions are not yet
 * bound: asks the protocol to {@linkplain FileProtocol#prepare prepare}, then at once asks a sparse
 * file where its data is, while the binding thread may still be at work, and prints the answers.
 */
final class PreparedHolesProbe {
    private PreparedHolesProbe() {
    }

    /** @param args the sparse file of {@link LocalBlockFileHolesTest} */
    public static void main(String[] args) throws Exception {
        FileProtocol protocol = new FileProtocol();
        java.util.Map<String, String> options = protocol.parseFilename(args[0]);
        protocol.prepare(options);
        protocol.prepare(options);
        try (LocalBlockFile file = LocalBlockFile.open(Path.of(args[0]), true)) {
            System.out.println(file.capabilities().contains(BlockFile.Capability.HOLES) + " " + file.seekData(0)
                    + " " + file.seekHole(1 << 20) + " " + file.seekData(3 << 20));
        }
    }
}

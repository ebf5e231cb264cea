package org.jblock.protocol.blkdebug;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.jblock.api.BlockFile;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.Options;
import org.jblock.api.spi.ProtocolRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The protocol as the registry drives it: its filename syntax, its options, and a child it filters. */
class BlkdebugProtocolTest {
    private final BlkdebugProtocol protocol = new BlkdebugProtocol();
    private final MemoryBlockFile child = new MemoryBlockFile("child.vhd");

    @TempDir
    Path dir;

    private BlockFile open(Map<String, String> given) throws IOException {
        Options options = Options.of(given, protocol.openOptions());
        return protocol.open(new ProtocolRequest(options, false, BlockFile.LockMode.EXCLUSIVE,
                (name, readOnly, lock) -> {
                    assertEquals("image", name);
                    return child;
                }));
    }

    private static Map<String, String> options(String... pairs) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put(pairs[i], pairs[i + 1]);
        }
        return map;
    }

    @Test
    void aFilenameNamesTheRuleFileAndTheChild() throws Exception {
        assertEquals(options("config", "", "image", "t.vhd"), protocol.parseFilename("blkdebug::t.vhd"));
        assertEquals(options("config", "r.conf", "image", "nbd://h/x"), protocol.parseFilename("blkdebug:r.conf:nbd://h/x"));
        assertThrows(InvalidOptionException.class, () -> protocol.parseFilename("blkdebug:t.vhd"));
    }

    @Test
    void withoutRulesEveryRequestReachesTheChild() throws Exception {
        try (BlockFile file = open(options("config", "", "align", "4k"))) {
            file.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 10);
            file.flush();
            ByteBuffer back = ByteBuffer.allocate(3);
            file.readFully(back, 10);
            assertArrayEquals(new byte[] {1, 2, 3}, back.array());
            assertEquals(13, file.size());
            assertEquals("blkdebug::child.vhd", file.name());
        }
    }

    @Test
    void rulesGivenAsOptionsFailTheRequestsTheyName() throws Exception {
        child.write(ByteBuffer.allocate(8192), 0);
        try (BlockFile file = open(options("inject-error.0.event", "none", "inject-error.0.iotype", "write",
                "inject-error.0.errno", "28", "inject-error.0.sector", "8"))) {
            file.write(ByteBuffer.allocate(512), 0);
            IOException e = assertThrows(IOException.class, () -> file.write(ByteBuffer.allocate(512), 4000));
            assertEquals("No space left on device", e.getMessage());
            file.readFully(ByteBuffer.allocate(8192), 0);
        }
    }

    @Test
    void aRuleFileIsReadFromTheConfigOption() throws Exception {
        Path rules = Files.writeString(dir.resolve("r.conf"),
                "[inject-error]\nevent = \"flush_to_os\"\niotype = \"flush\"\n");
        try (BlockFile file = open(options("config", rules.toString()))) {
            file.write(ByteBuffer.allocate(512), 0);
            assertEquals("Input/output error", assertThrows(IOException.class, file::flush).getMessage());
            file.readFully(ByteBuffer.allocate(512), 0);
        }
        assertThrows(NoSuchFileException.class, () -> open(options("config", dir.resolve("none.conf").toString())));
    }

    @Test
    void badOptionsAreRefused() {
        assertThrows(InvalidOptionException.class, () -> open(options("align", "3")));
        assertThrows(InvalidOptionException.class, () -> open(options("inject-error.0.errno", "5")));
        assertThrows(InvalidOptionException.class, () -> open(options("set-state.0.event", "none", "set-state.0.once", "on")));
    }
}

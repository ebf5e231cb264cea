package org.jblock.tests.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import org.jblock.api.BlockFile;
import org.jblock.api.OptionSpec;
import org.jblock.api.Options;
import org.jblock.api.spi.BlockProtocol;
import org.jblock.api.spi.ProtocolRequest;
import org.junit.jupiter.api.Test;

/**
 * What every {@link BlockProtocol} does, on top of the {@link BlockFileContract} its files pass:
 * a name and prefixes the registry accepts, filenames (and the {@link BlockFile#location()} of its
 * files) that {@link BlockProtocol#parseFilename} turns into options that open the same bytes again,
 * capabilities that tell the truth, zeroes that read as zeros, and typed errors for names that name
 * nothing.
 *
 * <p>A protocol's author extends it in test scope and says how to put bytes where the protocol
 * reaches them ({@link #store}); the files are opened through the SPI, as the registry opens them,
 * without locks, and writable, as the {@link BlockFileContract} needs them.
 */
public abstract class BlockProtocolContract extends BlockFileContract {
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_-]*");
    private static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9+._-]*");

    /** @return the protocol under test */
    protected abstract BlockProtocol protocol();

    /**
     * Puts {@code content} where the protocol reaches it.
     *
     * @return the filename that names it, as a user would type it
     */
    protected abstract String store(byte[] content) throws IOException;

    /** @return a filename of this protocol's that names nothing */
    protected abstract String missing() throws IOException;

    /** Opens {@code filename} through the SPI, as the registry does, without a lock. */
    protected final BlockFile open(String filename, boolean readOnly) throws IOException {
        BlockProtocol protocol = protocol();
        Map<String, String> given = protocol.parseFilename(filename);
        Options options = Options.of(given, protocol.openOptions());
        return protocol.open(new ProtocolRequest(options, readOnly, BlockFile.LockMode.NONE));
    }

    @Override
    protected final BlockFile newFile(byte[] content) throws IOException {
        return open(store(content), false);
    }

    @Override
    protected final BlockFile reopenReadOnly(BlockFile file) throws IOException {
        return open(file.location(), true);
    }

    @Test
    void its_name_and_prefixes_are_ones_the_registry_accepts() {
        BlockProtocol protocol = protocol();
        assertTrue(NAME.matcher(protocol.name()).matches(), "name '" + protocol.name() + "'");
        for (String prefix : protocol.prefixes()) {
            assertTrue(PREFIX.matcher(prefix).matches(), "prefix '" + prefix + "'");
            assertFalse(prefix.equals("json"), "json: belongs to QEMU's json:{...} filenames");
        }
        Set<String> names = new HashSet<>();
        for (OptionSpec<?> spec : protocol.openOptions()) {
            assertTrue(names.add(spec.name()), "option '" + spec.name() + "' is listed twice");
        }
    }

    @Test
    void its_location_names_the_same_bytes_again() throws Exception {
        byte[] content = pattern(10_000, 40);
        try (BlockFile file = open(store(content), true); BlockFile again = open(file.location(), true)) {
            assertArrayEquals(content, readAll(again));
            assertEquals(file.location(), again.location());
        }
    }

    @Test
    void a_name_that_names_nothing_is_an_io_error() throws Exception {
        String missing = missing();
        assertThrows(IOException.class, () -> open(missing, true).close());
    }

    @Test
    void capabilities_tell_the_truth_about_writing() throws Exception {
        try (BlockFile file = newFile(pattern(100, 41)); BlockFile reader = reopenReadOnly(file)) {
            assertTrue(file.capabilities().contains(BlockFile.Capability.WRITE));
            assertFalse(reader.capabilities().contains(BlockFile.Capability.WRITE));
            assertTrue(reader.isReadOnly());
        }
    }

    @Test
    void written_zeroes_read_as_zeros_whether_or_not_space_may_be_given_back() throws Exception {
        byte[] content = pattern(300_000, 42);
        try (BlockFile file = newFile(content)) {
            file.writeZeroes(1000, 70_000, false);
            file.writeZeroes(150_000, 100_000, true);
            byte[] expected = content.clone();
            Arrays.fill(expected, 1000, 71_000, (byte) 0);
            Arrays.fill(expected, 150_000, 250_000, (byte) 0);
            assertArrayEquals(expected, readAll(file));
        }
    }

    @Test
    void discard_keeps_the_size_and_every_byte_outside_the_range() throws Exception {
        byte[] content = pattern(200_000, 43);
        try (BlockFile file = newFile(content)) {
            file.discard(65_536, 65_536);
            assertEquals(content.length, file.size());
            byte[] after = readAll(file);
            assertArrayEquals(Arrays.copyOf(content, 65_536), Arrays.copyOf(after, 65_536));
            assertArrayEquals(Arrays.copyOfRange(content, 131_072, 200_000), Arrays.copyOfRange(after, 131_072, 200_000));
        }
    }

    @Test
    void holes_it_reports_read_as_zeros() throws Exception {
        byte[] content = new byte[1 << 20];
        Arrays.fill(content, 0, 4096, (byte) 7);
        try (BlockFile file = open(store(content), true)) {
            long size = file.size();
            long at = file.seekHole(0);
            while (at < size) {
                long data = file.seekData(at);
                assertTrue(data > at && data <= size, "seekData(" + at + ") = " + data + " in a hole");
                ByteBuffer hole = ByteBuffer.allocate((int) (data - at));
                file.readFully(hole, at);
                assertArrayEquals(new byte[hole.capacity()], hole.array(), "the hole at " + at + " reads as zeros");
                long next = data >= size ? size : file.seekHole(data);
                assertTrue(next > data || next == size, "seekHole(" + data + ") = " + next + " at data");
                at = next;
            }
        }
    }
}

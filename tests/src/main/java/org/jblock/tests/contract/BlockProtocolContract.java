package org.jblock.tests.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
import org.jblock.api.ReadOnlyImageException;
import org.jblock.api.UnsupportedFeatureException;
import org.jblock.api.spi.BlockProtocol;
import org.jblock.api.spi.ProtocolRequest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * What every {@link BlockProtocol} does — one kit for protocols that write (a local file), that
 * write at a fixed size (an NBD export) and that only read (a web server): a name and prefixes the
 * registry accepts, filenames (and the {@link BlockFile#location()} of its files) that
 * {@link BlockProtocol#parseFilename} turns into options it accepts and that open the same bytes
 * again, typed errors naming a name that names nothing, and capabilities that tell the truth. Its
 * files pass the {@link ReadOnlyBlockFileContract} (every protocol reads).
 *
 * <p>Whether the protocol writes is not declared but found out: the kit opens a file for writing.
 * A protocol that writes must also pass the {@link BlockFileContract} and the protocol's writing
 * checks, by declaring, in its test, {@code @Nested class Writing extends WritableFiles {}} (the kit
 * fails a writing protocol whose test lacks it); one that does not write must refuse the writable
 * open with an {@link IOException} that names the storage.
 *
 * <p>A protocol's author extends it in test scope and says how to put bytes where the protocol
 * reaches them ({@link #store}); the files are opened through the SPI, as the registry opens them,
 * without locks.
 */
public abstract class BlockProtocolContract extends ReadOnlyBlockFileContract {
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

    /**
     * @return what the error about {@link #missing()} must name (the default: the whole filename; an
     *         NBD client names the socket it could not reach)
     */
    protected String missingIsNamedAs() throws IOException {
        return missing();
    }

    /** @return whether the storage has a fixed size (an NBD export); see {@link BlockFileContract#fixedSize()} */
    protected boolean fixedSize() {
        return false;
    }

    /**
     * @return options every open of the kit gives besides the filename's, to run the whole kit on
     *         another way of the protocol's (the local file's {@code cache.direct=on}); none by default
     */
    protected Map<String, String> openOptions() {
        return Map.of();
    }

    /** Opens {@code filename} through the SPI, as the registry does, without a lock. */
    protected final BlockFile open(String filename, boolean readOnly) throws IOException {
        BlockProtocol protocol = protocol();
        Map<String, String> given = new java.util.LinkedHashMap<>(protocol.parseFilename(filename));
        given.putAll(openOptions());
        Options options = Options.of(given, protocol.openOptions());
        return protocol.open(new ProtocolRequest(options, readOnly, BlockFile.LockMode.NONE));
    }

    @Override
    protected final BlockFile openReadOnly(byte[] content) throws IOException {
        return open(store(content), true);
    }

    /**
     * Opens new storage for writing.
     *
     * @return whether the protocol writes: false when it refuses (the refusal must be an
     *         {@link IOException} naming the storage)
     */
    private boolean writes() throws IOException {
        String filename = store(new byte[4096]);
        try (BlockFile file = open(filename, false)) {
            assertNotNull(file);
            return true;
        } catch (UnsupportedFeatureException | ReadOnlyImageException e) {
            assertTrue(String.valueOf(e.getMessage()).contains(filename),
                    "the refusal to write '" + e.getMessage() + "' names " + filename);
            return false;
        }
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
    void its_filenames_and_locations_parse_into_options_it_accepts() throws Exception {
        BlockProtocol protocol = protocol();
        Set<String> accepted = new HashSet<>();
        protocol.openOptions().forEach(spec -> accepted.add(spec.name()));
        String filename = store(BlockFileContract.pattern(100, 44));
        try (BlockFile file = open(filename, true)) {
            for (String name : new String[] {filename, file.location()}) {
                Map<String, String> parsed = protocol.parseFilename(name);
                assertFalse(parsed.isEmpty(), "'" + name + "' parses into no options");
                for (String key : parsed.keySet()) {
                    assertTrue(accepted.contains(key), "'" + name + "' parses into option '" + key
                            + "', which is not among the protocol's open options " + accepted);
                }
            }
        }
    }

    @Test
    void its_location_names_the_same_bytes_again() throws Exception {
        byte[] content = BlockFileContract.pattern(10_000, 40);
        try (BlockFile file = open(store(content), true); BlockFile again = open(file.location(), true)) {
            assertArrayEquals(content, BlockFileContract.readAll(again));
            assertEquals(file.location(), again.location());
        }
    }

    /** {@link BlockProtocol#prepare}, the hint that opens may follow, takes a stored name's options or options naming nothing, any number of times, and changes no open. */
    @Test
    void the_hint_that_opens_follow_never_fails_and_changes_no_open() throws Exception {
        byte[] content = BlockFileContract.pattern(10_000, 41);
        String filename = store(content);
        BlockProtocol protocol = protocol();
        Map<String, String> options = new java.util.LinkedHashMap<>(protocol.parseFilename(filename));
        options.put("driver", protocol.name());
        protocol.prepare(options);
        protocol.prepare(options);
        protocol.prepare(Map.of("driver", protocol.name()));
        try (BlockFile file = open(filename, true)) {
            assertArrayEquals(content, BlockFileContract.readAll(file));
        }
    }

    @Test
    void a_name_that_names_nothing_is_an_io_error_naming_it() throws Exception {
        String missing = missing();
        IOException e = assertThrows(IOException.class, () -> open(missing, true).close());
        assertTrue(String.valueOf(e.getMessage()).contains(missingIsNamedAs()),
                "'" + e.getMessage() + "' names " + missingIsNamedAs());
    }

    @Test
    void capabilities_tell_the_truth_about_writing() throws Exception {
        boolean writes = writes();
        byte[] content = BlockFileContract.pattern(100, 41);
        String filename = store(content);
        try (BlockFile reader = open(filename, true)) {
            assertTrue(reader.isReadOnly());
            assertFalse(reader.capabilities().contains(BlockFile.Capability.WRITE), "a read-only handle claims WRITE");
            if (!reader.capabilities().contains(BlockFile.Capability.HOLES)) {
                assertEquals(0, reader.seekData(0), "a file that cannot tell holes reports one");
                assertEquals(content.length, reader.seekHole(0), "a file that cannot tell holes reports one");
            }
            if (writes) {
                try (BlockFile writer = open(filename, false)) {
                    assertTrue(writer.capabilities().contains(BlockFile.Capability.WRITE), "a writable handle lacks WRITE");
                    assertFalse(writer.isReadOnly());
                    writer.write(ByteBuffer.wrap(new byte[] {9, 8, 7}), 10);
                    writer.flush();
                }
                ByteBuffer back = ByteBuffer.allocate(3);
                reader.readFully(back, 10);
                assertArrayEquals(new byte[] {9, 8, 7}, back.array(), "the write claimed possible landed");
            }
        }
    }

    @Test
    void a_protocol_that_writes_runs_the_writing_checks_too() throws Exception {
        if (writes()) {
            assertTrue(Arrays.stream(getClass().getDeclaredClasses()).anyMatch(
                    c -> WritableFiles.class.isAssignableFrom(c) && c.isAnnotationPresent(Nested.class)),
                    getClass().getSimpleName() + " tests a protocol that writes: declare"
                            + " '@Nested class Writing extends WritableFiles {}' in it");
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

    /**
     * The checks of a protocol that writes: the whole {@link BlockFileContract} on its files (fixed
     * in size when {@link #fixedSize()} says so) and zeroes and discard as the protocol does them.
     */
    protected abstract class WritableFiles extends BlockFileContract {

        @Override
        protected final BlockFile newFile(byte[] content) throws IOException {
            return open(store(content), false);
        }

        @Override
        protected final BlockFile reopenReadOnly(BlockFile file) throws IOException {
            return open(file.location(), true);
        }

        @Override
        protected final boolean fixedSize() {
            return BlockProtocolContract.this.fixedSize();
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
    }
}

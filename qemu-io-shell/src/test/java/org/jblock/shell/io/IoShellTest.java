package org.jblock.shell.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.jblock.api.BlockException;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.spi.support.DelegatingBlockFile;
import org.jblock.registry.OpenSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IoShellTest {
    private static final OpenSpec RAW = new OpenSpec("raw", false, false, "");

    @TempDir
    Path dir;

    private static ShellRun rawShell(int size) throws IOException {
        ShellRun run = new ShellRun();
        assertTrue(run.shell.open(MemoryBlockFile.of("mem.raw", new byte[size]), RAW));
        return run;
    }

    /** The line a test expects after a command, with the timing numbers filtered out. */
    private static String filtered(String text) {
        return Transcript.filter(text, "/nowhere");
    }

    @Test
    void write_then_read_with_pattern_reports_like_qemu_io() throws IOException {
        try (ShellRun run = rawShell(1 << 20)) {
            run.run("write -P 0xab 0 64k", "read -P 0xab 0 64k");
            assertEquals("wrote 65536/65536 bytes at offset 0\n"
                    + "64 KiB, X ops; XX:XX:XX.X (XXX YYY/sec and XXX ops/sec)\n"
                    + "read 65536/65536 bytes at offset 0\n"
                    + "64 KiB, X ops; XX:XX:XX.X (XXX YYY/sec and XXX ops/sec)\n", filtered(run.takeOut()));
            assertFalse(run.shell.anyCommandFailed());
        }
    }

    @Test
    void pattern_mismatch_names_the_range_and_fails_the_session() throws IOException {
        try (ShellRun run = rawShell(4096)) {
            run.run("read -q -P 1 512 512");
            assertEquals("Pattern verification failed at offset 512, 512 bytes\n", run.takeOut());
            assertTrue(run.shell.anyCommandFailed());
        }
    }

    @Test
    void hex_dump_shows_offsets_bytes_and_letters() throws IOException {
        try (ShellRun run = rawShell(4096)) {
            run.run("write -q -P 0x41 16 4", "read -q -v 16 20");
            // -q hides the report but the dump is part of the report, so nothing is printed.
            assertEquals("", run.takeOut());
            run.run("read -v 16 20");
            String[] lines = run.takeOut().split("\n");
            assertEquals("00000010:  41 41 41 41 00 00 00 00 00 00 00 00 00 00 00 00  AAAA............", lines[0]);
            assertEquals("00000020:  00 00 00 00  ....", lines[1]);
        }
    }

    @Test
    void the_demo_image_is_a_64_mib_vhd_ready_for_the_readme_commands() {
        try (ShellRun run = new ShellRun()) {
            assertTrue(run.shell.openDemoImage());
            assertTrue(run.takeOut().contains("64 MiB in-memory VHD"));
            run.run("write -P 0xab 0 64k", "read -P 0xab 0 64k", "map", "info");
            String out = filtered(run.takeOut());
            assertTrue(out.contains("read 65536/65536 bytes at offset 0\n"), out);
            assertTrue(out.contains("64.016 MiB (0x4004000) bytes     allocated at offset 0 bytes (0x0)\n"), out);
            assertTrue(out.contains("format name: vpc\ncluster size: 2 MiB\n"), out);
            assertFalse(run.shell.anyCommandFailed(), run.takeErr());
        }
    }

    @Test
    void each_bad_input_prints_one_line_and_the_shell_goes_on() throws IOException {
        String[][] cases = {
            {"frobnicate", "", "command \"frobnicate\" not found\n"},
            {"read 0 12q", "Parsing error: non-numeric argument, or extraneous/unrecognized suffix -- 12q\n", ""},
            {"read -P 0x1ff 0 1", "0x1ff is not a valid pattern byte\n", ""},
            {"read 1M 512", "read failed: Input/output error\n", ""},
            {"write 4095 2", "write failed: Input/output error\n", ""},
            {"read 0 1 2", "read [-abCqv] [-P pattern [-s off] [-l len]] off len -- reads a number of bytes at a "
                    + "specified offset\n", ""},
            {"map extra", "", "bad argument count 1 to map, expected 0 arguments\n"},
        };
        for (String[] c : cases) {
            try (ShellRun run = rawShell(4096)) {
                int status = run.shell.dispatch(c[0]);
                assertTrue(status < 0, c[0]);
                assertEquals(c[1], run.takeOut(), c[0]);
                assertEquals(c[2], run.takeErr(), c[0]);
                assertTrue(run.shell.anyCommandFailed(), c[0]);
                assertEquals(0, run.shell.dispatch("read -q 0 1"), "the shell goes on after " + c[0]);
            }
        }
    }

    @Test
    void commands_need_an_open_image() {
        try (ShellRun run = new ShellRun()) {
            assertTrue(run.shell.dispatch("read 0 512") < 0);
            assertEquals("no file open, try 'help open'\n", run.takeErr());
            assertEquals(0, run.shell.dispatch("help quit"));
            assertEquals("quit -- exit the program\n", run.takeOut());
        }
    }

    @Test
    void a_read_only_image_refuses_every_writing_command() throws IOException {
        try (ShellRun run = new ShellRun()) {
            assertTrue(run.shell.open(MemoryBlockFile.of("ro.raw", new byte[4096]).reopen(true),
                    RAW.withReadOnly(true)));
            for (String command : new String[] {"write 0 1", "writev 0 1", "aio_write 0 1", "discard 0 1",
                "truncate 1", "write -z 0 1"}) {
                assertTrue(run.shell.dispatch(command) < 0, command);
                assertEquals("jblock-io: Block node is read-only\n", run.takeErr(), command);
            }
            assertEquals(0, run.shell.dispatch("read -q 0 1"));
        }
    }

    @Test
    void a_second_writer_of_a_vhd_is_refused_as_qemu_io_refuses_it_while_the_first_keeps_working() throws IOException {
        Path image = dir.resolve("locked.vhd");
        org.jblock.registry.DriverRegistry.load().create(image, "vpc", 1 << 20, "");
        OpenSpec vpc = new OpenSpec("vpc", false, false, "");
        try (ShellRun first = new ShellRun(); ShellRun second = new ShellRun()) {
            assertTrue(first.shell.open(image.toString(), vpc));
            assertFalse(second.shell.open(image.toString(), vpc));
            String refusal = second.takeErr();
            assertEquals("jblock-io: can't open device " + image + ": Failed to get \"write\" lock\n"
                    + "Is another process using the image [" + image + "]?\n", refusal);
            assertEquals(0, first.shell.dispatch("write -q -P 5 0 512"));
            second.run("read 0 1");
            assertEquals("no file open, try 'help open'\n", second.takeErr());
        }
    }

    @Test
    void a_missing_file_is_named_in_qemu_words() {
        try (ShellRun run = new ShellRun()) {
            Path missing = dir.resolve("missing.raw");
            assertFalse(run.shell.open(missing.toString(), RAW));
            assertEquals("jblock-io: can't open device " + missing + ": Could not open '" + missing
                    + "': No such file or directory\n", run.takeErr());
        }
    }

    @Test
    void aio_requests_run_concurrently() throws IOException {
        // Each write waits at a barrier for the other: run one after the other, they would time out.
        CyclicBarrier bothInFlight = new CyclicBarrier(2);
        MemoryBlockFile memory = MemoryBlockFile.of("aio.raw", new byte[1 << 20]);
        DelegatingBlockFile rendezvous = new DelegatingBlockFile(memory) {
            @Override
            public void write(ByteBuffer src, long position) throws IOException {
                try {
                    bothInFlight.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException | BrokenBarrierException | TimeoutException e) {
                    throw new BlockException("writes did not overlap: " + e);
                }
                super.write(src, position);
            }
        };
        try (ShellRun run = new ShellRun()) {
            assertTrue(run.shell.open(rendezvous, RAW));
            run.run("aio_write -P 1 0 4k", "aio_write -P 2 64k 4k", "aio_flush");
            String out = filtered(run.takeOut());
            assertTrue(out.contains("wrote 4096/4096 bytes at offset 0\n"), out);
            assertTrue(out.contains("wrote 4096/4096 bytes at offset 65536\n"), out);
            assertEquals("", run.takeErr());
            byte[] content = memory.toByteArray();
            assertEquals(1, content[4095]);
            assertEquals(2, content[65536]);
        }
    }

    @Test
    void aio_read_verifies_the_pattern_when_it_completes() throws IOException {
        try (ShellRun run = rawShell(1 << 20)) {
            run.run("write -q -P 7 0 4k", "aio_read -P 7 0 4k", "aio_read -q -P 8 0 4k", "aio_flush");
            String out = filtered(run.takeOut());
            assertTrue(out.contains("read 4096/4096 bytes at offset 0\n"), out);
            assertTrue(out.contains("Pattern verification failed at offset 0, 4096 bytes\n"), out);
            // As in qemu-io, an aio_read counts as a success once submitted.
            assertFalse(run.shell.anyCommandFailed());
        }
    }

    @Test
    void write_zeroes_and_discard_leave_readable_zeros() throws IOException {
        MemoryBlockFile memory = MemoryBlockFile.of("z.raw", new byte[8192]);
        try (ShellRun run = new ShellRun()) {
            assertTrue(run.shell.open(memory, RAW));
            run.run("write -q -P 9 0 8k", "write -q -z 0 4k", "read -q -P 0 0 4k", "read -q -P 9 4k 4k");
            assertFalse(run.shell.anyCommandFailed(), run.takeOut());
            byte[] expected = new byte[8192];
            java.util.Arrays.fill(expected, 4096, 8192, (byte) 9);
            assertArrayEquals(expected, memory.toByteArray());
        }
    }

    @Test
    void truncate_and_length_follow_each_other() throws IOException {
        try (ShellRun run = rawShell(4096)) {
            run.run("truncate 1M", "length", "truncate 512", "length");
            assertEquals("1 MiB\n512 bytes\n", run.takeOut());
        }
    }

    @Test
    void alloc_stops_at_the_end_of_the_image() throws IOException {
        try (ShellRun run = rawShell(4096)) {
            run.run("alloc 3k 4k", "alloc 8k");
            assertEquals("1024/1024 bytes allocated at offset 3 KiB\n0/0 bytes allocated at offset 8 KiB\n",
                    run.takeOut());
        }
    }

    @Test
    void quit_stops_the_session() {
        try (ShellRun run = new ShellRun()) {
            assertFalse(run.shell.quitRequested());
            run.run("q");
            assertTrue(run.shell.quitRequested());
        }
    }

    @Test
    void open_and_close_switch_images() throws IOException {
        Path image = dir.resolve("a.raw");
        Files.write(image, new byte[1024]);
        try (ShellRun run = new ShellRun()) {
            run.run("open -o driver=raw " + image, "length", "open -o driver=raw " + image, "close", "length");
            assertEquals("1 KiB\n", run.takeOut());
            assertEquals("jblock-io: file open already, try 'help close'\nno file open, try 'help open'\n",
                    run.takeErr());
        }
    }

    @Test
    void block_zero_of_a_probed_raw_image_cannot_become_another_format() throws IOException {
        Path image = dir.resolve("probed.raw");
        Files.write(image, new byte[1 << 20]);
        Path vhd = dir.resolve("other.vhd");
        org.jblock.registry.DriverRegistry.load().create(vhd, "vpc", 1 << 20, "");
        try (ShellRun run = new ShellRun()) {
            assertTrue(run.shell.open(image.toString(), OpenSpec.readWrite()));
            assertTrue(run.takeErr().startsWith("WARNING: Image format was not specified for '" + image + "'"));
            assertTrue(run.shell.dispatch("write -q -s " + vhd + " 0 512") < 0);
            assertEquals("write failed: Operation not permitted\n", run.takeOut());
            assertEquals(0, run.shell.dispatch("write -q -s " + vhd + " 4k 512"), "block 0 only");
            assertEquals(0, run.shell.dispatch("write -q -P 0 0 512"), "a write that keeps it raw is fine");
            assertEquals(0, run.shell.dispatch("read -q -P 0 0 512"));
        }
        try (ShellRun run = new ShellRun()) {
            assertTrue(run.shell.open(image.toString(), RAW));
            assertEquals(0, run.shell.dispatch("write -q -s " + vhd + " 0 512"), "-f raw lifts the restriction");
        }
    }

    @Test
    void snapshot_mode_reads_its_own_writes_and_leaves_the_image_unchanged() throws IOException {
        Path image = dir.resolve("snap.raw");
        byte[] original = new byte[8192];
        java.util.Arrays.fill(original, (byte) 7);
        Files.write(image, original);
        try (ShellRun run = new ShellRun()) {
            assertTrue(run.shell.open(image.toString(), RAW, true));
            run.run("write -q -P 1 100 10", "read -q -P 7 0 100", "read -q -P 1 100 10", "read -q -P 7 110 8082",
                    "write -q -z 4095 2", "read -q -P 0 4095 2", "read -q -P 7 4097 4095", "map");
            assertEquals("512 bytes (0x200) bytes     allocated at offset 0 bytes (0x0)\n"
                    + "3 KiB (0xc00) bytes not allocated at offset 512 bytes (0x200)\n"
                    + "1 KiB (0x400) bytes     allocated at offset 3.500 KiB (0xe00)\n"
                    + "3.500 KiB (0xe00) bytes not allocated at offset 4.500 KiB (0x1200)\n", run.takeOut());
            assertFalse(run.shell.anyCommandFailed(), run.takeErr());
            run.run("close");
        }
        assertArrayEquals(original, Files.readAllBytes(image));
    }
}

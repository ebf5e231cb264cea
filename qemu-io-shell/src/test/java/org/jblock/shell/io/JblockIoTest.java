package org.jblock.shell.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JblockIoTest {
    @TempDir
    Path dir;

    private record Outcome(int status, String out, String err) {
    }

    private static Outcome run(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = JblockIo.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                false);
        return new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void help_and_version_exit_zero() {
        Outcome help = run("", "-h");
        assertEquals(0, help.status());
        assertTrue(help.out().startsWith("Usage: jblock-io [OPTIONS]... [-c STRING]... [file]\n"), help.out());
        Outcome version = run("", "-V");
        assertEquals(0, version.status());
        assertTrue(version.out().startsWith("jblock-io version "), version.out());
    }

    @Test
    void a_damaged_image_fails_to_open_with_qemu_io_s_short_reason() throws IOException {
        Path image = dir.resolve("bad.vhd");
        org.jblock.registry.DriverRegistry.load().create(image, "vpc", 1 << 20, "");
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(image,
                java.nio.file.StandardOpenOption.WRITE)) {
            channel.write(java.nio.ByteBuffer.allocate(4), 512 + 32);   // the dynamic header's block size
        }
        Outcome bad = run("", "-c", "read 0 512", image.toString());
        assertEquals(1, bad.status());
        assertEquals("jblock-io: can't open device " + image + ": Invalid block size 0\n", bad.err(),
                "qemu-io's words; where and why is check's business");
    }

    @Test
    void an_open_by_options_alone_fails_as_qemu_io_says_it() throws IOException {
        Path folder = Files.createDirectory(dir.resolve("folder"));
        assertEquals("jblock-io: can't open: 'file' driver requires '" + folder + "' to be a regular file\n",
                run("", "-c", "open -r -o driver=file,filename=" + folder).err());
        assertEquals("jblock-io: can't open: Could not open '" + folder + "': Is a directory\n",
                run("", "-c", "open -o driver=file,filename=" + folder).err());
        assertEquals("jblock-io: can't open: 'host_device' driver requires '" + folder
                + "' to be either a character or block device\n",
                run("", "-c", "open -r -o driver=host_device,filename=" + folder).err());
        if (Files.exists(Path.of("/dev/null"))) {
            Outcome device = run("", "-c", "open -o driver=host_cdrom,filename=/dev/null,locking=off", "-c", "length");
            assertEquals("", device.err(), "a character device opens, and closes with nothing to flush");
            assertEquals("0 bytes\n", device.out());
            assertEquals("jblock-io: can't open: 'file' driver requires '/dev/null' to be a regular file\n",
                    run("", "-c", "open -r -o driver=file,filename=/dev/null,locking=off").err());
        }
    }

    @Test
    void a_name_beside_file_options_is_the_storage_s_with_its_protocol_prefix() throws IOException {
        Path image = dir.resolve("t.vhd");
        org.jblock.registry.DriverRegistry.load().create(image, "vpc", 1 << 20, "");
        Outcome ok = run("open -o driver=vpc,file.align=4k blkdebug::" + image + "\nwrite -q -P 7 512 1k\n"
                + "read -q -P 7 512 1k\n", "-f", "vpc");
        assertEquals("", ok.err());
        assertEquals(0, ok.status());
        Outcome bad = run("", "-c", "open -o driver=vpc,file.align=3 blkdebug::" + image);
        assertTrue(bad.err().startsWith("jblock-io: can't open device blkdebug::" + image + ": "), bad.err());
        assertTrue(bad.err().contains("align 3"), bad.err());
    }

    @Test
    void a_json_name_that_names_its_format_gives_no_probed_raw_warning() throws IOException {
        Path image = Files.write(dir.resolve("r.img"), new byte[4096]);
        Outcome named = run("", "-c", "read -q 0 512", "json:{\"driver\": \"raw\", \"file\": {\"filename\": \"" + image + "\"}}");
        assertEquals("", named.err());
        Outcome probed = run("", "-c", "read -q 0 512", "json:{\"file\": {\"filename\": \"" + image + "\"}}");
        assertTrue(probed.err().startsWith("WARNING: Image format was not specified"), probed.err());
    }

    @Test
    void an_unknown_option_prints_getopt_s_complaint_and_the_usage() {
        Outcome bad = run("", "-x");
        assertEquals(1, bad.status());
        assertEquals("jblock-io: invalid option -- 'x'\n", bad.err());
        assertTrue(bad.out().startsWith("Usage: "));
    }

    @Test
    void batch_commands_run_in_order_and_the_status_records_a_failure() throws IOException {
        Path image = dir.resolve("t.raw");
        Files.write(image, new byte[4096]);
        Outcome ok = run("read 0 1\n", "-f", "raw", "-c", "write -q -P 3 0 512", "-c", "read -q -P 3 0 512",
                image.toString());
        assertEquals(0, ok.status(), ok.err());
        assertEquals("", ok.out(), "-c mode does not read stdin");
        Outcome failed = run("", "-f", "raw", "-c", "read -q -P 4 0 512", "-c", "length", image.toString());
        assertEquals(1, failed.status());
        assertEquals("Pattern verification failed at offset 0, 512 bytes\n4 KiB\n", failed.out());
    }

    @Test
    void piped_stdin_gets_a_prompt_before_each_line() throws IOException {
        Path image = dir.resolve("t.raw");
        Files.write(image, new byte[4096]);
        Outcome piped = run("length\nlength\n", "-f", "raw", image.toString());
        assertEquals(0, piped.status());
        assertEquals("jblock-io> 4 KiB\njblock-io> 4 KiB\njblock-io> ", piped.out());
    }

    @Test
    void driver_options_reach_the_driver_and_unknown_ones_are_named() throws IOException {
        Path image = dir.resolve("t.raw");
        Files.write(image, new byte[4096]);
        Outcome bad = run("", "-o", "driver=raw,bogus=1", "-c", "length", image.toString());
        assertEquals(1, bad.status());
        assertTrue(bad.err().startsWith("jblock-io: can't open device " + image + ": Invalid parameter 'bogus'"),
                bad.err());
        assertEquals(1, bad.err().split("\n").length);
    }

    @Test
    void a_locked_image_gives_qemu_io_s_two_lines_and_exit_status_1() throws IOException {
        Path image = dir.resolve("t.vhd");
        org.jblock.registry.DriverRegistry.load().create(image, "vpc", 1 << 20, "");
        try (ShellRun writer = new ShellRun()) {
            assertTrue(writer.shell.open(image.toString(), new org.jblock.registry.OpenSpec("vpc", false, false, "")));
            Outcome second = run("", "-f", "vpc", "-c", "write 0 1", image.toString());
            assertEquals(1, second.status());
            assertEquals("", second.out());
            assertEquals("jblock-io: can't open device " + image + ": Failed to get \"write\" lock\n"
                    + "Is another process using the image [" + image + "]?\n", second.err());
            Outcome reader = run("", "-f", "vpc", "-r", "-U", "-c", "length", image.toString());
            assertEquals(0, reader.status(), "-r -U lets writers in: " + reader.err());
        }
    }

    @Test
    void open_takes_a_format_with_f_as_well_as_driver_option() throws IOException {
        Path image = dir.resolve("t.raw");
        Files.write(image, new byte[2048]);
        Outcome both = run("", "-c", "open -f raw " + image, "-c", "info", "-c", "close",
                "-c", "open -o driver=raw " + image, "-c", "length");
        assertEquals(0, both.status(), both.err());
        assertEquals("", both.err(), "a named format prints no probing warning");
        assertEquals("format name: raw\ncluster size: 0 bytes\nvm state offset: 0 bytes\n2 KiB\n", both.out());
    }

    @Test
    void image_opts_and_json_names_open_the_image_qemu_io_would() throws IOException {
        Path image = dir.resolve("o.vhd");
        org.jblock.registry.DriverRegistry.load().create(image, "vpc", 1 << 20, "");
        Outcome opts = run("", "--image-opts", "-c", "write -P 0x5a 0 512",
                "driver=vpc,file.driver=file,file.filename=" + image);
        assertEquals(0, opts.status(), opts.err());
        assertTrue(opts.out().startsWith("wrote 512/512 bytes at offset 0\n"), opts.out());
        String json = "json:{\"driver\":\"vpc\",\"file\":{\"filename\":\"" + image + "\"}}";
        Outcome read = run("", "-r", "-c", "read -P 0x5a 0 512", json);
        assertEquals(0, read.status(), read.err());
        Outcome viaOpen = run("open -r -o driver=vpc,file.filename=" + image + "\nread -P 0x5a 0 512\n");
        assertTrue(viaOpen.out().contains("read 512/512 bytes at offset 0\n"), viaOpen.out() + viaOpen.err());
        Outcome both = run("", "--image-opts", "-f", "vpc", "file.filename=" + image);
        assertEquals("jblock-io: --image-opts and -f are mutually exclusive\n", both.err());
    }

    @Test
    void objects_given_with_object_are_what_a_throttle_filter_names() throws IOException {
        Path image = dir.resolve("t.vhd");
        org.jblock.registry.DriverRegistry.load().create(image, "vpc", 1 << 20, "");
        Outcome throttled = run("", "--object", "throttle-group,id=g0,limits.iops-total=1000",
                "-c", "open -o driver=throttle,throttle-group=g0,file.driver=vpc " + image,
                "-c", "write -P 0x5a 0 4k", "-c", "read -P 0x5a 0 4k");
        assertEquals(0, throttled.status(), throttled.out() + throttled.err());
        assertTrue(throttled.out().contains("read 4096/4096 bytes at offset 0\n"), throttled.out());

        Outcome unknown = run("", "--object", "secret,id=s0,data=x", "-c", "read 0 512", image.toString());
        assertEquals(1, unknown.status());
        assertEquals("jblock-io: Invalid object type 'secret'\n", unknown.err());
        assertEquals("", unknown.out(), "nothing runs after a bad object");

        Outcome missing = run("", "-c", "open -o driver=throttle,throttle-group=g0,file.driver=vpc " + image);
        assertEquals("jblock-io: can't open device " + image + ": Throttle group 'g0' does not exist\n", missing.err());
    }

    @Test
    void nocache_reads_and_writes_the_image_bypassing_the_page_cache() throws IOException {
        Path image = dir.resolve("n.raw");
        Files.write(image, new byte[8192]);
        Outcome written = run("", "-n", "-f", "raw", "-c", "write -q -P 0x6b 100 1000", "-c", "read -q -P 0x6b 100 1000",
                image.toString());
        assertEquals(0, written.status(), written.err());
        assertEquals("", written.out() + written.err());
        byte[] content = Files.readAllBytes(image);
        assertEquals(0x6b, content[100]);
        assertEquals(0x6b, content[1099]);
        assertEquals(0, content[1100]);
        Outcome none = run("", "-t", "directsync", "-f", "raw", "-c", "write -q -P 0x11 4000 200", image.toString());
        assertEquals(0, none.status(), none.err());
        assertEquals(0x11, Files.readAllBytes(image)[4100]);
    }

    @Test
    void the_direct_modes_reach_the_file_and_the_others_do_not() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(Path.of("/proc/version")), "needs Linux's /proc");
        String refused = "jblock-io: can't open device /proc/version: Could not open '/proc/version': filesystem does not"
                + " support O_DIRECT\n";
        for (String[] direct : new String[][] {{"-n"}, {"--nocache"}, {"-t", "none"}, {"--cache=directsync"}}) {
            String[] args = new String[direct.length + 5];
            System.arraycopy(direct, 0, args, 0, direct.length);
            System.arraycopy(new String[] {"-r", "-f", "raw", "-c", "length"}, 0, args, direct.length, 5);
            args = java.util.Arrays.copyOf(args, args.length + 1);
            args[args.length - 1] = "/proc/version";
            Outcome outcome = run("", args);
            assertEquals(1, outcome.status(), String.join(" ", args));
            assertEquals(refused, outcome.err(), String.join(" ", args));
        }
        for (String mode : new String[] {"writeback", "writethrough", "unsafe"}) {
            Outcome outcome = run("", "-t", mode, "-r", "-f", "raw", "-c", "length", "/proc/version");
            assertEquals(0, outcome.status(), mode + ": " + outcome.err());
        }
        Outcome open = run("", "-c", "open -r -n -f raw /proc/version");
        assertEquals(refused, open.err());
    }

    @Test
    void open_and_reopen_take_the_cache_mode_qemu_io_s_default_being_writethrough() throws IOException {
        Path image = dir.resolve("m.raw");
        Files.write(image, new byte[4096]);
        try (ShellRun run = new ShellRun()) {
            run.run("open -f raw " + image);
            assertEquals(org.jblock.registry.CacheMode.WRITETHROUGH, run.shell.imageSpec().cache());
            run.run("reopen -c unsafe");
            assertEquals(org.jblock.registry.CacheMode.UNSAFE, run.shell.imageSpec().cache());
            run.run("reopen -r");
            assertEquals(org.jblock.registry.CacheMode.UNSAFE, run.shell.imageSpec().cache(), "a reopen keeps the mode");
            run.run("reopen -w -c none", "write -q 1 1");
            assertEquals(org.jblock.registry.CacheMode.NONE, run.shell.imageSpec().cache());
            run.run("close", "open -n -f raw " + image);
            assertEquals(org.jblock.registry.CacheMode.NONE, run.shell.imageSpec().cache());
            run.run("close", "open -t writeback -f raw " + image);
            assertEquals(org.jblock.registry.CacheMode.WRITEBACK, run.shell.imageSpec().cache());
            assertEquals("", run.takeErr());
            run.run("reopen -c fast");
            assertEquals("jblock-io: Invalid cache option: fast\n", run.takeErr());
            assertEquals(org.jblock.registry.CacheMode.WRITEBACK, run.shell.imageSpec().cache());
            run.run("close", "open -t off -f raw " + image);
            assertEquals(org.jblock.registry.CacheMode.NONE, run.shell.imageSpec().cache(), "QEMU's 'off' is none");
            run.run("close", "open -t fast -f raw " + image);
            assertEquals("jblock-io: Invalid cache option: fast\n", run.takeErr());
        }
        Outcome bad = run("", "-t", "fast", "-c", "length", image.toString());
        assertEquals(1, bad.status());
        assertEquals("jblock-io: Invalid cache option: fast\n", bad.err());
    }
}

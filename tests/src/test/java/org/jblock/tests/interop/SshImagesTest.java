package org.jblock.tests.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;

import org.jblock.api.BlockImage;
import org.jblock.registry.OpenSpec;
import org.jblock.tests.interop.RealTools.Result;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images on a real OpenSSH server (started by the test on 127.0.0.1, logged in to as the current
 * user, root included, with a key of its own) read and written through the ssh protocol: what
 * SFTP reads equals the local file, what it writes is what the local file then holds, in the
 * library and in jblock-img, raw and vpc; the failures QEMU's test 162 names read as QEMU's.
 */
class SshImagesTest {
    private static final long SIZE = (6L << 20) + 3 * 512;
    private static final OpenSpec READ_ONLY = new OpenSpec(null, true, false, "");
    private static final OpenSpec WRITABLE = new OpenSpec(null, false, false, "");

    @TempDir
    static Path dir;
    private static Sshd sshd;
    private static Path images;

    @BeforeAll
    static void startServer() throws IOException {
        sshd = Sshd.start(dir.resolve("sshd"));
        System.setProperty("jblock.ssh.command", sshd.clientCommand());
        images = Files.createDirectories(dir.resolve("images"));
        byte[] data = new byte[1 << 20];
        new Random(11).nextBytes(data);
        JblockImages.REGISTRY.create(images.resolve("disk.raw"), "raw", SIZE, "");
        JblockImages.REGISTRY.create(images.resolve("fixed.vhd"), "vpc", SIZE, "subformat=fixed");
        JblockImages.REGISTRY.create(images.resolve("dynamic.vhd"), "vpc", SIZE, "subformat=dynamic");
        for (String name : List.of("disk.raw", "fixed.vhd", "dynamic.vhd")) {
            try (BlockImage image = JblockImages.REGISTRY.open(images.resolve(name), WRITABLE)) {
                image.write(0, ByteBuffer.wrap(data, 0, 65536));
                image.write((3L << 20) + 512, ByteBuffer.wrap(data, 0, 100_000));
                image.write(5L << 20, ByteBuffer.wrap(data));
            }
        }
    }

    @AfterAll
    static void stopServer() throws IOException {
        System.clearProperty("jblock.ssh.command");
        if (sshd != null) {
            sshd.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"disk.raw", "fixed.vhd", "dynamic.vhd"})
    void an_image_read_over_ssh_equals_the_local_file(String name) throws IOException {
        try (BlockImage local = JblockImages.REGISTRY.open(images.resolve(name), READ_ONLY);
             BlockImage remote = JblockImages.REGISTRY.open(sshd.uri(images.resolve(name)), READ_ONLY)) {
            assertEquals(local.size(), remote.size());
            assertEquals(local.info().format(), remote.info().format());
            assertArrayEquals(content(local), content(remote), name);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"raw", "vpc"})
    void what_is_written_over_ssh_is_what_the_local_file_holds(String format) throws IOException {
        Path file = images.resolve("written." + format);
        JblockImages.REGISTRY.create(file, format, SIZE, "");
        byte[] data = new byte[300_000];
        new Random(12).nextBytes(data);
        try (BlockImage remote = JblockImages.REGISTRY.open(sshd.uri(file), WRITABLE)) {
            remote.write(1234, ByteBuffer.wrap(data));
            remote.write(SIZE - 512, ByteBuffer.wrap(data, 0, 512));
            remote.flush();
        }
        try (BlockImage local = JblockImages.REGISTRY.open(file, READ_ONLY)) {
            assertEquals(format, local.info().format());
            ByteBuffer back = ByteBuffer.allocate(data.length);
            local.read(1234, back);
            assertArrayEquals(data, back.array());
            ByteBuffer tail = ByteBuffer.allocate(512);
            local.read(SIZE - 512, tail);
            assertArrayEquals(java.util.Arrays.copyOf(data, 512), tail.array());
        }
        if (RealTools.locate(RealTools.Tool.QEMU_IMG).isPresent()) {
            // QEMU reads the same disk out of the file written over SFTP.
            Path expected = images.resolve("expected-" + format + ".raw");
            try (FileChannel raw = FileChannel.open(expected, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                raw.write(ByteBuffer.wrap(data), 1234);
                raw.write(ByteBuffer.wrap(data, 0, 512), SIZE - 512);
            }
            Result same = RealTools.run(RealTools.Tool.QEMU_IMG, "compare", "-f", format, "-F", "raw", file.toString(),
                    expected.toString()).assertSucceeded();
            assertTrue(same.stdout().contains("Images are identical."), same::describe);
        }
    }

    @Test
    void jblock_img_creates_an_image_in_a_new_file_on_the_server() throws IOException {
        Path file = images.resolve("created.vhd");
        String uri = sshd.uri(file);
        Result create = img("create", "-f", "vpc", "-o", "subformat=dynamic", uri, "4M").assertSucceeded();
        assertTrue(create.stdout().startsWith("Formatting '" + uri + "', fmt=vpc size=4194304"), create::describe);
        try (BlockImage local = JblockImages.REGISTRY.open(file, READ_ONLY)) {
            assertEquals("vpc", local.info().format());
            assertTrue(local.size() >= 4L << 20, "size " + local.size());
        }
        if (RealTools.locate(RealTools.Tool.QEMU_IMG).isPresent()) {
            Result info = RealTools.run(RealTools.Tool.QEMU_IMG, "info", file.toString()).assertSucceeded();
            assertTrue(info.stdout().contains("file format: vpc"), info::describe);
        }
        Result backing = img("create", "-f", "vpc", "-b", file.toString(), "-F", "vpc", sshd.uri(images.resolve("child.vhd")));
        assertEquals(1, backing.exitCode(), backing::describe);
    }

    @Test
    void jblock_img_reaches_an_image_by_filename_json_and_image_opts() throws IOException {
        Path file = images.resolve("dynamic.vhd");
        String local = file.toString();
        Result compare = img("compare", sshd.uri(file), local).assertSucceeded();
        assertTrue(compare.stdout().contains("Images are identical."), compare::describe);
        Result json = img("info", "--output=json", "json:{\"driver\": \"vpc\", \"file\": {\"driver\": \"ssh\","
                + " \"server\": {\"host\": \"127.0.0.1\", \"port\": \"" + sshd.port() + "\"}, \"path\": \""
                + local + "\"}}").assertSucceeded();
        assertTrue(json.stdout().contains("\"format\": \"vpc\""), json::describe);
        Result opts = img("map", "--output=json", "--image-opts", "driver=vpc,file.driver=ssh,file.host=127.0.0.1,"
                + "file.port=" + sshd.port() + ",file.path=" + local + ",file.user=" + System.getProperty("user.name"))
                .assertSucceeded();
        assertEquals(img("map", "--output=json", local).assertSucceeded().stdout(), opts.stdout());
    }

    @Test
    void a_missing_file_is_named() {
        String uri = sshd.uri(images.resolve("missing.vhd"));
        NoSuchFileException e = assertThrows(NoSuchFileException.class,
                () -> JblockImages.REGISTRY.open(uri, READ_ONLY).close());
        assertTrue(e.getMessage().contains(uri), e.getMessage());
    }

    @Test
    void failures_to_reach_the_server_read_as_qemu_says_them() throws IOException {
        int closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        Result refused = img("info", "json:{\"driver\": \"ssh\", \"host\": \"127.0.0.1\", \"port\": \"" + closed
                + "\", \"path\": \"/foo\"}");
        assertEquals(1, refused.exitCode(), refused::describe);
        assertTrue(refused.stderr().endsWith(": Failed to connect to '127.0.0.1:" + closed + "': Connection refused\n"),
                refused::describe);
        Result portZero = img("info", "--image-opts", "driver=ssh,host=localhost,port=0,path=/foo");
        assertTrue(portZero.stderr().endsWith(": Failed to connect to 'localhost:0': Connection refused\n"),
                portZero::describe);
        for (String typed : List.of("json:{\"driver\": \"ssh\", \"host\": \"localhost\", \"port\": 0.42, \"path\": \"/foo\"}",
                "driver=ssh,host=localhost,port=0.42,path=/foo")) {
            Result wrongType = typed.startsWith("json:") ? img("info", typed) : img("info", "--image-opts", typed);
            assertTrue(wrongType.stderr().endsWith(": Parameter 'port' expects a number\n"), wrongType::describe);
        }
    }

    @Test
    void an_unknown_host_key_is_refused_unless_the_check_is_off() throws IOException {
        Path file = images.resolve("disk.raw");
        String hostKeyOff = sshd.uri(file) + "?host_key_check=no";
        // The client's known_hosts knows the server's key under 127.0.0.1 only: 'localhost' is unknown.
        String byOtherName = "ssh://localhost:" + sshd.port() + file;
        Result unknown = img("info", byOtherName);
        assertEquals(1, unknown.exitCode(), unknown::describe);
        assertTrue(unknown.stderr().contains("host key"), unknown::describe);
        assertFalse(unknown.stderr().contains("Exception"), unknown::describe);
        Result unchecked = img("info", "ssh://localhost:" + sshd.port() + file + "?host_key_check=no").assertSucceeded();
        assertTrue(unchecked.stdout().contains("file format: raw"), unchecked::describe);
        assertTrue(img("info", hostKeyOff).assertSucceeded().stdout().contains("file format: raw"));
    }

    private static byte[] content(BlockImage image) throws IOException {
        ByteBuffer all = ByteBuffer.allocate((int) image.size());
        image.read(0, all);
        return all.array();
    }

    private static Result img(String... arguments) {
        return JblockImages.img(arguments);
    }
}

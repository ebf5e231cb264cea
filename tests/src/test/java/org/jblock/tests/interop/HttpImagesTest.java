package org.jblock.tests.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jblock.api.BlockException;
import org.jblock.api.BlockImage;
import org.jblock.registry.OpenSpec;
import org.jblock.shell.io.JblockIo;
import org.jblock.tests.interop.RealTools.Result;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Images on a real web server (nginx, serving byte ranges) read through the http protocol equal the
 * local files, in the library and in both tools, at a few round trips; a changed or missing object
 * is one clear error.
 */
class HttpImagesTest {
    private static final long SIZE = (20L << 20) + 3 * 512;
    private static final OpenSpec READ_ONLY = new OpenSpec(null, true, false, "");
    private static final List<String> IMAGES = List.of("disk.raw", "fixed.vhd", "dynamic.vhd");

    @TempDir
    static Path dir;
    private static Path www;
    private static Nginx nginx;

    @BeforeAll
    static void serveImages() throws IOException {
        www = Files.createDirectories(dir.resolve("www"));
        nginx = Nginx.serve(www, dir.resolve("nginx"));
        byte[] data = new byte[1 << 20];
        new Random(9).nextBytes(data);
        JblockImages.REGISTRY.create(www.resolve("disk.raw"), "raw", SIZE, "");
        JblockImages.REGISTRY.create(www.resolve("fixed.vhd"), "vpc", SIZE, "subformat=fixed");
        JblockImages.REGISTRY.create(www.resolve("dynamic.vhd"), "vpc", SIZE, "subformat=dynamic");
        for (String name : IMAGES) {
            try (BlockImage image = JblockImages.REGISTRY.open(www.resolve(name), new OpenSpec(null, false, false, ""))) {
                image.write(0, ByteBuffer.wrap(data, 0, 65536));
                image.write((5L << 20) + 512, ByteBuffer.wrap(data, 0, 100_000));
                image.write(19L << 20, ByteBuffer.wrap(data));
            }
            // Written out in full: a web server tells no holes, so the local files keep none either
            // (on JDK 22+ a local file's holes show in its block status and map).
            Path file = www.resolve(name);
            Files.write(file, Files.readAllBytes(file));
        }
    }

    @AfterAll
    static void stop() throws IOException {
        if (nginx != null) {
            nginx.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"disk.raw", "fixed.vhd", "dynamic.vhd"})
    void an_image_read_over_http_equals_the_local_file(String name) throws IOException {
        try (BlockImage local = JblockImages.REGISTRY.open(www.resolve(name), READ_ONLY);
             BlockImage remote = JblockImages.REGISTRY.open(nginx.url(name), READ_ONLY)) {
            assertEquals(local.size(), remote.size());
            assertEquals(local.info().format(), remote.info().format());
            assertEquals(local.blockStatus(0, local.size()), remote.blockStatus(0, remote.size()));
            ByteBuffer a = ByteBuffer.allocate(1 << 20);
            ByteBuffer b = ByteBuffer.allocate(1 << 20);
            for (long at = 0; at < local.size(); at += a.capacity()) {
                int n = (int) Math.min(a.capacity(), local.size() - at);
                a.clear().limit(n);
                b.clear().limit(n);
                local.read(at, a);
                remote.read(at, b);
                assertArrayEquals(a.array(), b.array(), name + " at " + at);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"disk.raw", "fixed.vhd", "dynamic.vhd"})
    void opening_an_image_costs_two_requests(String name) throws Exception {
        int before = nginx.settledRequests().size();
        try (BlockImage remote = JblockImages.REGISTRY.open(nginx.url(name), READ_ONLY)) {
            remote.info();
            List<String> all = nginx.settledRequests();
            List<String> requests = all.subList(before, all.size());
            assertEquals(2, requests.size(), "probe, head and block table in one request, the footer in another: "
                    + requests);
            assertTrue(requests.stream().allMatch(r -> r.startsWith("GET bytes=") && r.endsWith(" 206")),
                    requests::toString);
        }
    }

    @Test
    void jblock_img_info_map_compare_and_convert_work_on_a_url() throws IOException {
        for (String name : IMAGES) {
            String url = nginx.url(name);
            String local = www.resolve(name).toString();
            Result info = img("info", "--output=json", url).assertSucceeded();
            String expectedFormat = name.endsWith(".vhd") ? "vpc" : "raw";
            assertTrue(info.stdout().contains("\"format\": \"" + expectedFormat + "\""), info::describe);
            assertEquals(virtualSize(img("info", "--output=json", local).assertSucceeded().stdout()),
                    virtualSize(info.stdout()), info::describe);
            assertEquals(img("map", "--output=json", local).assertSucceeded().stdout(),
                    img("map", "--output=json", url).assertSucceeded().stdout(), name + ": map");
            Result compare = img("compare", url, local).assertSucceeded();
            assertTrue(compare.stdout().contains("Images are identical."), compare::describe);
            Path converted = dir.resolve(name + ".converted.raw");
            img("convert", "-O", "raw", url, converted.toString()).assertSucceeded();
            Result same = img("compare", "-f", "raw", "-F", expectedFormat, converted.toString(), local).assertSucceeded();
            assertTrue(same.stdout().contains("Images are identical."), same::describe);
        }
    }

    @Test
    void qemu_s_option_syntax_names_the_http_protocol_and_its_url() throws IOException {
        String url = nginx.url("dynamic.vhd");
        Result json = img("info", "--output=json",
                "json:{\"driver\": \"vpc\", \"file\": {\"driver\": \"http\", \"url\": \"" + url + "\", \"readahead\": \"64k\"}}")
                .assertSucceeded();
        assertTrue(json.stdout().contains("\"format\": \"vpc\""), json::describe);
        Result opts = img("map", "--output=json", "--image-opts", "driver=vpc,file.driver=http,file.url=" + url)
                .assertSucceeded();
        assertEquals(img("map", "--output=json", www.resolve("dynamic.vhd").toString()).assertSucceeded().stdout(),
                opts.stdout());
        Result wrongScheme = img("info", "--image-opts", "driver=vpc,file.driver=https,file.url=" + url);
        assertEquals(1, wrongScheme.exitCode(), wrongScheme::describe);
        assertTrue(wrongScheme.stderr().contains("The 'https' block driver takes https:// URLs"), wrongScheme::describe);
    }

    @Test
    void jblock_io_reads_a_url_read_only_and_refuses_to_open_it_for_writing() throws IOException {
        String url = nginx.url("dynamic.vhd");
        Shell read = io("-r", "-c", "read -v 0 16", "-c", "read -P 0 1M 1M", url);
        assertEquals(0, read.exitCode(), read::all);
        assertTrue(read.out().startsWith("00000000:  "), read::all);
        assertTrue(read.out().contains("read 1048576/1048576 bytes at offset 1048576"), read::all);

        Shell write = io("-c", "write 0 512", url);
        assertEquals(1, write.exitCode(), write::all);
        assertEquals(1, write.err().lines().count(), write::all);
        assertTrue(write.err().contains(url + ": the http protocol is read-only"), write::all);
    }

    @Test
    void readers_in_order_like_a_copy_s_workers_get_the_local_bytes_from_few_large_requests() throws Exception {
        int chunk = 2 << 20;
        int workers = 4;
        try (BlockImage local = JblockImages.REGISTRY.open(www.resolve("dynamic.vhd"), READ_ONLY);
             BlockImage remote = JblockImages.REGISTRY.open(nginx.url("dynamic.vhd"), READ_ONLY)) {
            int before = nginx.settledRequests().size();
            long chunks = (remote.size() + chunk - 1) / chunk;
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(workers);
            try {
                List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
                for (int w = 0; w < workers; w++) {
                    int first = w;
                    done.add(pool.submit(() -> {
                        ByteBuffer a = ByteBuffer.allocate(chunk);
                        ByteBuffer b = ByteBuffer.allocate(chunk);
                        for (long c = first; c < chunks; c += workers) {
                            int n = (int) Math.min(chunk, remote.size() - c * chunk);
                            a.clear().limit(n);
                            b.clear().limit(n);
                            local.read(c * chunk, a);
                            remote.read(c * chunk, b);
                            assertArrayEquals(a.array(), b.array(), "at " + c * chunk);
                        }
                        return null;
                    }));
                }
                for (java.util.concurrent.Future<?> f : done) {
                    f.get(60, java.util.concurrent.TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            List<String> all = nginx.settledRequests();
            List<String> requests = all.subList(before, all.size());
            assertTrue(requests.size() <= chunks, "about one request per 2 MiB: " + requests);
            assertTrue(requests.stream().allMatch(r -> r.startsWith("GET bytes=") && r.endsWith(" 206")),
                    requests::toString);
        }
    }

    @Test
    void an_object_that_changes_under_an_open_image_is_an_error_not_new_data() throws IOException {
        Path file = www.resolve("changing.raw");
        byte[] original = new byte[4 << 20];
        Files.write(file, original);
        Files.setLastModifiedTime(file, FileTime.fromMillis(1_700_000_000_000L));
        try (BlockImage remote = JblockImages.REGISTRY.open(nginx.url("changing.raw"), READ_ONLY)) {
            byte[] replaced = new byte[original.length];
            java.util.Arrays.fill(replaced, (byte) 0x5a);
            Files.write(file, replaced);
            Files.setLastModifiedTime(file, FileTime.fromMillis(1_800_000_000_000L));
            BlockException e = assertThrows(BlockException.class, () -> remote.read(3 << 20, ByteBuffer.allocate(512)));
            assertTrue(e.getMessage().startsWith(nginx.url("changing.raw")
                    + ": the object changed on the server since it was opened"), e.getMessage());
        }
    }

    @Test
    void a_missing_object_is_one_line_naming_the_url() throws IOException {
        String url = nginx.url("missing.vhd");
        Result info = img("info", url);
        assertEquals(1, info.exitCode(), info::describe);
        assertEquals(1, info.stderr().lines().count(), info::describe);
        assertTrue(info.stderr().contains(url + ": not found (HTTP 404)"), info::describe);
        assertFalse(info.stderr().contains("Exception"), info::describe);
    }

    private static long virtualSize(String infoJson) {
        Matcher m = Pattern.compile("\"virtual-size\": (\\d+)").matcher(infoJson);
        assertTrue(m.find(), infoJson);
        return Long.parseLong(m.group(1));
    }

    private static Result img(String... arguments) {
        return JblockImages.img(arguments);
    }

    /** What jblock-io printed and returned. */
    private record Shell(int exitCode, String out, String err) {
        String all() {
            return "exit " + exitCode + "\n--- out:\n" + out + "\n--- err:\n" + err;
        }
    }

    private static Shell io(String... arguments) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = JblockIo.run(arguments, new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), false);
        return new Shell(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}

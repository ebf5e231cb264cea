package org.jblock.protocol.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.jblock.api.BlockException;
import org.jblock.api.ImageClosedException;
import org.jblock.api.ReadOnlyImageException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP engine against a real (in-process) web server, well-behaved and not. */
class HttpBlockFileTest {
    private static final int SIZE = (3 << 20) + 123;

    private byte[] content;
    private RangeServer server;

    @BeforeEach
    void start() throws IOException {
        content = new byte[SIZE];
        new Random(42).nextBytes(content);
        server = new RangeServer(content);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpBlockFile open(String... options) throws IOException {
        return HttpBlockFile.open(server.url(), settings(options));
    }

    private static HttpSettings settings(String... options) throws IOException {
        Map<String, String> map = new java.util.LinkedHashMap<>();
        for (String option : options) {
            String[] kv = option.split("=", 2);
            map.put(kv[0], kv[1]);
        }
        return HttpSettings.parse(map);
    }

    private static byte[] read(HttpBlockFile file, long offset, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        file.readFully(buffer, offset);
        return buffer.array();
    }

    /** Reads in {@code pool}; the future has the read's failure, or null. */
    private static Future<Throwable> readFailure(ExecutorService pool, HttpBlockFile file, long offset, int length) {
        return pool.submit(() -> {
            try {
                read(file, offset, length);
                return null;
            } catch (IOException e) {
                return e;
            }
        });
    }

    private byte[] expected(long offset, int length) {
        return Arrays.copyOfRange(content, (int) offset, (int) offset + length);
    }

    @Test
    void reads_equal_the_object_everywhere_and_the_end_reads_as_end_of_file() throws IOException {
        try (HttpBlockFile file = open()) {
            assertEquals(SIZE, file.size());
            assertEquals(server.url(), file.name());
            Random random = new Random(7);
            for (int i = 0; i < 200; i++) {
                int length = 1 + random.nextInt(300_000);
                long offset = random.nextInt(SIZE - length + 1);
                assertArrayEquals(expected(offset, length), read(file, offset, length), "at " + offset + "+" + length);
            }
            ByteBuffer tail = ByteBuffer.allocate(1000);
            assertEquals(123, file.read(tail, SIZE - 123));
            assertArrayEquals(expected(SIZE - 123, 123), Arrays.copyOf(tail.array(), 123));
            assertEquals(-1, file.read(ByteBuffer.allocate(10), SIZE));
        }
    }

    @Test
    void opening_and_reading_a_vhd_s_metadata_costs_two_requests() throws IOException {
        try (HttpBlockFile file = open()) {
            assertEquals(1, server.requests(), "opening: one ranged GET of the first readahead bytes");
            read(file, SIZE - 512, 512);     // the footer
            read(file, 0, 512);              // the footer's copy, as a probe reads it
            read(file, 512, 1024);           // the dynamic header
            read(file, 1536, 4096);          // the block table
            assertEquals(2, server.requests(), server.log().toString());
            read(file, SIZE - 512, 512);
            assertEquals(2, server.requests(), "cached blocks cost nothing");
        }
    }

    @Test
    void a_miss_reads_ahead_so_the_next_reads_are_free() throws IOException {
        try (HttpBlockFile file = open()) {
            int before = server.requests();
            read(file, 1 << 20, 4096);
            read(file, (1 << 20) + 100_000, 4096);
            read(file, (1 << 20) + 250_000, 4096);
            assertEquals(before + 1, server.requests(), server.log().toString());
            assertTrue(server.log().get(before).endsWith("bytes=1048576-1310719"), server.log().toString());
        }
    }

    @Test
    void readahead_is_an_option() throws IOException {
        try (HttpBlockFile file = open("readahead=0")) {
            int before = server.requests();
            read(file, 1 << 20, 4096);
            read(file, (1 << 20) + 100_000, 4096);
            assertEquals(before + 2, server.requests(), "without readahead each 64 KiB block is a request");
        }
    }

    @Test
    void the_cache_is_bounded_and_forgets_the_least_recently_used() throws IOException {
        byte[] big = new byte[48 << 20];
        new Random(3).nextBytes(big);
        server.replace(big, "\"big\"", "Tue, 01 Dec 2026 10:00:00 GMT");
        try (HttpBlockFile file = open()) {
            ByteBuffer all = ByteBuffer.allocate(big.length);
            file.readFully(all, 0);
            assertArrayEquals(big, all.array());
            int before = server.requests();
            read(file, 0, 512);
            assertTrue(server.log().subList(before, server.log().size()).stream().anyMatch(r -> r.startsWith("GET bytes=0-")),
                    "the first block left the cache when 48 MiB went through: " + server.log());
        }
    }

    @Test
    void many_threads_read_correct_data_and_share_a_fetch_of_the_same_block() throws Exception {
        try (HttpBlockFile file = open()) {
            server.delay(300);
            int before = server.requests();
            int threads = 8;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<byte[]>> reads = new ArrayList<>();
                for (int i = 0; i < threads; i++) {
                    reads.add(pool.submit(() -> {
                        go.await();
                        return read(file, 2_000_000, 10_000);
                    }));
                }
                go.countDown();
                for (Future<byte[]> read : reads) {
                    assertArrayEquals(expected(2_000_000, 10_000), read.get());
                }
                assertEquals(before + 1, server.requests(), "one fetch served eight readers");

                server.delay(0);
                List<Future<Boolean>> random = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int seed = t;
                    random.add(pool.submit(() -> {
                        Random r = new Random(seed);
                        for (int i = 0; i < 100; i++) {
                            int length = 1 + r.nextInt(100_000);
                            long offset = r.nextInt(SIZE - length + 1);
                            if (!Arrays.equals(expected(offset, length), read(file, offset, length))) {
                                return false;
                            }
                        }
                        return true;
                    }));
                }
                for (Future<Boolean> r : random) {
                    assertTrue(r.get());
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void a_failed_fetch_fails_every_reader_waiting_for_it_and_the_next_read_asks_again() throws Exception {
        try (HttpBlockFile file = open()) {
            server.delay(300);
            server.status(503);
            int before = server.requests();
            int threads = 6;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<String>> reads = new ArrayList<>();
                for (int i = 0; i < threads; i++) {
                    reads.add(pool.submit(() -> {
                        go.await();
                        try {
                            read(file, 2_000_000, 10_000);
                            return "read";
                        } catch (BlockException e) {
                            return e.getMessage();
                        }
                    }));
                }
                go.countDown();
                for (Future<String> read : reads) {
                    assertEquals(server.url() + ": the server answered HTTP 503", read.get(20, TimeUnit.SECONDS));
                }
                assertEquals(before + 1, server.requests(), "the readers shared the one failed fetch");
            } finally {
                pool.shutdownNow();
            }
            server.delay(0);
            server.status(0);
            assertArrayEquals(expected(2_000_000, 10_000), read(file, 2_000_000, 10_000));
        }
    }

    @Test
    void an_interrupted_reader_stops_waiting_at_once() throws Exception {
        try (HttpBlockFile file = open()) {
            server.fault(RangeServer.Fault.STALL);
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<Throwable> reader = readFailure(pool, file, 2 << 20, 512);
                Thread.sleep(300);
                pool.shutdownNow();
                Throwable failure = reader.get(10, TimeUnit.SECONDS);
                assertTrue(failure instanceof java.io.InterruptedIOException, String.valueOf(failure));
                assertEquals(server.url() + ": interrupted", failure.getMessage());
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void an_empty_object_opens_with_size_zero() throws IOException {
        server.replace(new byte[0], "\"empty\"", "Tue, 01 Dec 2026 10:00:00 GMT");
        try (HttpBlockFile file = open()) {
            assertEquals(0, file.size());
            assertEquals(-1, file.read(ByteBuffer.allocate(1), 0));
        }
    }

    @Test
    void without_a_total_in_content_range_the_size_comes_from_head() throws IOException {
        server.fault(RangeServer.Fault.NO_TOTAL);
        try (HttpBlockFile file = open()) {
            assertEquals(SIZE, file.size());
            assertTrue(server.log().contains("HEAD null"), server.log().toString());
            assertArrayEquals(expected(SIZE - 512, 512), read(file, SIZE - 512, 512));
        }
    }

    @Test
    void writes_are_refused() throws IOException {
        try (HttpBlockFile file = open()) {
            assertTrue(file.isReadOnly());
            assertThrows(ReadOnlyImageException.class, () -> file.write(ByteBuffer.allocate(1), 0));
            assertThrows(ReadOnlyImageException.class, () -> file.truncate(0));
        }
    }

    @Test
    void a_server_that_ignores_ranges_is_an_error_naming_the_url() {
        server.fault(RangeServer.Fault.IGNORE_RANGES);
        BlockException e = assertThrows(BlockException.class, this::open);
        assertEquals(server.url() + ": the server ignores byte ranges (it answered a Range request with HTTP 200"
                + " and the whole object); an image on a web server is read by range", e.getMessage());
    }

    @Test
    void a_server_that_ignores_ranges_may_send_an_object_no_longer_than_the_first_request_whole() throws IOException {
        byte[] small = Arrays.copyOf(content, 100_000);
        server.replace(small, "\"small\"", "Tue, 01 Dec 2026 10:00:00 GMT");
        server.fault(RangeServer.Fault.IGNORE_RANGES);
        try (HttpBlockFile file = open()) {
            assertEquals(small.length, file.size());
            assertArrayEquals(Arrays.copyOfRange(small, 99_000, 100_000), read(file, 99_000, 1000));
            assertEquals(1, server.requests(), "the whole object came with the first request");
        }
    }

    @Test
    void a_server_that_stops_honouring_ranges_later_is_an_error_too() throws IOException {
        try (HttpBlockFile file = open()) {
            server.fault(RangeServer.Fault.IGNORE_RANGES);
            BlockException e = assertThrows(BlockException.class, () -> read(file, 2 << 20, 512));
            assertTrue(e.getMessage().startsWith(server.url() + ": the server ignored a byte range"), e.getMessage());
        }
    }

    @Test
    void a_changed_object_is_an_error_never_new_bytes_mixed_with_old() throws IOException {
        try (HttpBlockFile file = open()) {
            byte[] replaced = content.clone();
            Arrays.fill(replaced, (byte) 0x55);
            server.replace(replaced, "\"v2\"", "Tue, 01 Dec 2026 10:00:00 GMT");
            BlockException e = assertThrows(BlockException.class, () -> read(file, 2 << 20, 512));
            assertTrue(e.getMessage().startsWith(server.url() + ": the object changed on the server since it was opened"),
                    e.getMessage());
            assertTrue(server.log().get(server.log().size() - 1).startsWith("GET bytes="));
            assertArrayEquals(expected(0, 512), read(file, 0, 512), "what was read before stays");
        }
    }

    @Test
    void a_changed_object_is_found_by_its_date_when_it_has_no_etag() throws IOException {
        server.replace(content, null, "Mon, 30 Nov 2026 10:00:00 GMT");
        try (HttpBlockFile file = open()) {
            server.replace(content.clone(), null, "Tue, 01 Dec 2026 10:00:00 GMT");
            BlockException e = assertThrows(BlockException.class, () -> read(file, 2 << 20, 512));
            assertTrue(e.getMessage().contains("the object changed on the server since it was opened (it was modified at"
                    + " Tue, 01 Dec 2026 10:00:00 GMT"), e.getMessage());
        }
    }

    @Test
    void a_truncated_response_is_an_error_and_the_next_read_asks_again() throws IOException {
        try (HttpBlockFile file = open()) {
            server.fault(RangeServer.Fault.TRUNCATE);
            BlockException e = assertThrows(BlockException.class, () -> read(file, 2 << 20, 512));
            assertTrue(e.getMessage().startsWith(server.url() + ": the response was cut short after "), e.getMessage());
            server.fault(RangeServer.Fault.NONE);
            assertArrayEquals(expected(2 << 20, 512), read(file, 2 << 20, 512));
        }
    }

    @Test
    void a_stalled_server_times_out_instead_of_hanging() throws IOException {
        try (HttpBlockFile file = open("timeout=1")) {
            server.fault(RangeServer.Fault.STALL);
            BlockException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                    () -> assertThrows(BlockException.class, () -> read(file, 2 << 20, 512)));
            assertEquals(server.url() + ": no answer for 1 s (timeout)", e.getMessage());
        }
    }

    @Test
    void a_server_that_does_not_answer_at_all_times_out() throws IOException {
        server.delay(10_000);
        BlockException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> assertThrows(BlockException.class, () -> open("timeout=1")));
        assertTrue(e.getMessage().startsWith(server.url() + ": no answer for 1 s (timeout)"), e.getMessage());
    }

    @Test
    void error_statuses_name_the_url_and_say_what_they_mean() {
        server.status(404);
        assertEquals(server.url() + ": not found (HTTP 404)", assertThrows(BlockException.class, this::open).getMessage());
        server.status(403);
        assertEquals(server.url() + ": access denied (HTTP 403)", assertThrows(BlockException.class, this::open).getMessage());
        server.status(503);
        assertEquals(server.url() + ": the server answered HTTP 503",
                assertThrows(BlockException.class, this::open).getMessage());
    }

    @Test
    void redirects_are_followed_and_a_loop_is_an_error() throws IOException {
        try (HttpBlockFile file = HttpBlockFile.open(server.url("/moved"), HttpSettings.DEFAULTS)) {
            assertArrayEquals(expected(SIZE - 512, 512), read(file, SIZE - 512, 512));
        }
        BlockException e = assertThrows(BlockException.class,
                () -> HttpBlockFile.open(server.url("/loop"), HttpSettings.DEFAULTS));
        assertEquals(server.url("/loop") + ": more than 10 redirects (a redirect loop?); the last was HTTP 302 to"
                + " /loop-again", e.getMessage());
    }

    @Test
    void a_refused_connection_is_an_error_naming_the_url() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        String url = "http://127.0.0.1:" + port + "/disk.img";
        BlockException e = assertThrows(BlockException.class, () -> HttpBlockFile.open(url, HttpSettings.DEFAULTS));
        assertTrue(e.getMessage().startsWith(url + ": could not connect to 127.0.0.1:" + port), e.getMessage());
    }

    @Test
    void credentials_in_the_url_are_sent_and_left_out_of_the_name() throws IOException {
        String url = server.url().replace("http://", "http://alice:secret@");
        try (HttpBlockFile file = HttpBlockFile.open(url, HttpSettings.DEFAULTS)) {
            assertEquals(server.url(), file.name());
        }
    }

    @Test
    void urls_that_are_not_http_are_refused() {
        assertThrows(org.jblock.api.InvalidOptionException.class,
                () -> HttpBlockFile.open("ftp://example.com/x", HttpSettings.DEFAULTS));
        assertThrows(org.jblock.api.InvalidOptionException.class,
                () -> HttpBlockFile.open("http:///nohost", HttpSettings.DEFAULTS));
    }

    @Test
    void options_are_checked() {
        assertThrows(org.jblock.api.InvalidOptionException.class, () -> settings("timeout=0"));
        assertThrows(org.jblock.api.InvalidOptionException.class, () -> settings("readahead=1G"));
        assertThrows(org.jblock.api.InvalidOptionException.class, () -> settings("sslverify=maybe"));
        assertThrows(org.jblock.api.InvalidOptionException.class, () -> settings("bogus=1"));
    }

    @Test
    void the_default_proxy_selector_s_proxy_carries_plain_http_requests() throws IOException {
        // The URL's host does not exist: only the proxy (the test server, which serves any URL) reaches it.
        String url = "http://images.invalid/disk.img";
        java.net.ProxySelector saved = java.net.ProxySelector.getDefault();
        java.net.ProxySelector.setDefault(java.net.ProxySelector.of(new java.net.InetSocketAddress(
                InetAddress.getLoopbackAddress(), java.net.URI.create(server.url()).getPort())));
        try (HttpBlockFile file = HttpBlockFile.open(url, settings())) {
            assertEquals(SIZE, file.size());
            assertArrayEquals(expected(2 << 20, 512), read(file, 2 << 20, 512));
            assertEquals(List.of(url, url), server.targets(), "requests to a proxy name the whole URL");
        } finally {
            java.net.ProxySelector.setDefault(saved);
        }
    }

    @Test
    void a_kept_connection_the_server_closed_meanwhile_is_replaced_without_an_error() throws Exception {
        // A server that answers one request per connection and then closes it without saying so,
        // as servers do with connections idle for too long.
        try (java.net.ServerSocket listener = new java.net.ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();
            Thread acceptor = new Thread(() -> {
                while (!listener.isClosed()) {
                    try (java.net.Socket socket = listener.accept()) {
                        connections.incrementAndGet();
                        answerOneRangeAndClose(socket);
                    } catch (IOException e) {
                        // The listener was closed: the test is over.
                    }
                }
            }, "closing-server");
            acceptor.setDaemon(true);
            acceptor.start();
            String url = "http://127.0.0.1:" + listener.getLocalPort() + "/disk.img";
            try (HttpBlockFile file = HttpBlockFile.open(url, settings("readahead=0"))) {
                assertArrayEquals(expected(2 << 20, 512), read(file, 2 << 20, 512));
                assertArrayEquals(expected(1 << 20, 512), read(file, 1 << 20, 512));
                assertEquals(3, file.requestCount(), "each read one request");
                assertEquals(3, connections.get(), "each request on a connection of its own: the dropped ones were left");
            }
        }
    }

    /** Reads one request's head and answers its range with the object's bytes, in HTTP/1.1. */
    private void answerOneRangeAndClose(java.net.Socket socket) throws IOException {
        java.io.BufferedReader in = new java.io.BufferedReader(
                new java.io.InputStreamReader(socket.getInputStream(), java.nio.charset.StandardCharsets.ISO_8859_1));
        long first = 0;
        long last = 0;
        for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)range: bytes=(\\d+)-(\\d+)").matcher(line);
            if (m.matches()) {
                first = Long.parseLong(m.group(1));
                last = Math.min(Long.parseLong(m.group(2)), SIZE - 1);
            }
        }
        int length = (int) (last - first + 1);
        String head = "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes " + first + "-" + last + "/" + SIZE
                + "\r\nContent-Length: " + length + "\r\nETag: \"v1\"\r\n\r\n";
        java.io.OutputStream out = socket.getOutputStream();
        out.write(head.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        out.write(content, (int) first, length);
        out.flush();
    }

    // Readahead in the fetch threads: readers in order find their bytes fetched ahead, and whatever
    // goes wrong in a readahead (an error status, an object that changed, a close) reaches the read
    // that needs those bytes, never a background thread's log, and never leaves a thread behind.
    // With the default options, a read that misses at 256 KiB (after the opening request's first
    // 256 KiB) fetches up to 512 KiB itself and has the window after it fetched ahead from 512 KiB on.

    private static final long AHEAD_FROM = 512 << 10;

    /** Waits until the server has seen a request for a range from {@code offset} on. */
    private void awaitRequestFrom(long offset) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (server.log().stream().noneMatch(r -> r.startsWith("GET bytes=") && start(r) >= offset)) {
            assertTrue(System.nanoTime() < deadline, "no readahead request reached the server: " + server.log());
            Thread.sleep(10);
        }
    }

    private static long start(String logLine) {
        String range = logLine.substring("GET bytes=".length());
        return Long.parseLong(range.substring(0, range.indexOf('-')));
    }

    private static long fetchThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("jblock-http-")).count();
    }

    @Test
    void readers_in_order_find_their_bytes_fetched_ahead_in_few_large_requests() throws Exception {
        byte[] big = new byte[(12 << 20) + 777];
        new Random(7).nextBytes(big);
        server.replace(big, "\"big\"", "Tue, 01 Dec 2026 10:00:00 GMT");
        content = big;
        int chunk = 256 << 10;
        int chunks = (big.length + chunk - 1) / chunk;
        int readers = 4;
        try (HttpBlockFile file = open()) {
            ExecutorService pool = Executors.newFixedThreadPool(readers);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int r = 0; r < readers; r++) {
                    int first = r;
                    done.add(pool.submit(() -> {
                        // Like the copy engine's workers: each takes every fourth chunk, in order.
                        for (int c = first; c < chunks; c += readers) {
                            long offset = (long) c * chunk;
                            int length = (int) Math.min(chunk, big.length - offset);
                            assertArrayEquals(expected(offset, length), read(file, offset, length), "at " + offset);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            // Readers that outrun the window send their own 256 KiB requests: how many depends on
            // the scheduling, but never one per read.
            assertTrue(server.requests() <= chunks / 2, chunks + " reads of 256 KiB in few requests of up to 2 MiB: "
                    + server.log());
        }
    }

    @Test
    void a_failed_readahead_is_the_error_of_the_read_that_needs_its_bytes_and_the_next_read_asks_again()
            throws Exception {
        try (HttpBlockFile file = open()) {
            server.faultFrom(AHEAD_FROM);
            server.status(503);
            assertArrayEquals(expected(256 << 10, 4096), read(file, 256 << 10, 4096), "the read's own bytes");
            awaitRequestFrom(AHEAD_FROM);
            int before = server.requests();
            BlockException e = assertThrows(BlockException.class, () -> read(file, 1 << 20, 512));
            assertEquals(server.url() + ": the server answered HTTP 503", e.getMessage());
            assertFalse(server.log().subList(before, server.log().size()).stream().anyMatch(r -> r.contains("bytes=1048576-")),
                    "the read got the readahead's error instead of asking itself: " + server.log());
            server.status(0);
            assertArrayEquals(expected(1 << 20, 512), read(file, 1 << 20, 512), "the next read asks again");
        }
    }

    @Test
    void a_changed_object_is_found_in_a_readahead_answer() throws Exception {
        try (HttpBlockFile file = open()) {
            server.faultFrom(AHEAD_FROM);
            server.hold();
            assertArrayEquals(expected(256 << 10, 4096), read(file, 256 << 10, 4096));
            awaitRequestFrom(AHEAD_FROM);
            byte[] changed = content.clone();
            Arrays.fill(changed, (byte) 0x5a);
            server.replace(changed, "\"v2\"", "Tue, 01 Dec 2026 11:00:00 GMT");
            server.release();
            BlockException e = assertThrows(BlockException.class, () -> read(file, 1 << 20, 512));
            assertTrue(e.getMessage().startsWith(server.url() + ": the object changed on the server since it was opened"),
                    e.getMessage());
            assertArrayEquals(expected(256 << 10, 4096), read(file, 256 << 10, 4096), "what was read before stays");
        }
    }

    @Test
    void close_stops_the_readahead_in_flight_and_its_threads_and_later_reads_fail() throws Exception {
        HttpBlockFile file = open();
        server.faultFrom(AHEAD_FROM);
        server.hold();
        read(file, 256 << 10, 4096);
        awaitRequestFrom(AHEAD_FROM);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Throwable> waiting = readFailure(pool, file, 1 << 20, 512);
            Thread.sleep(200);
            assertTrue(file.liveThreads() > 0, "the readahead runs in the file's threads");
            assertTimeoutPreemptively(Duration.ofSeconds(5), file::close, "close waits for no server");
            assertEquals(0, file.liveThreads());
            assertEquals(0, fetchThreads(), "no fetch thread outlives close()");
            Throwable failure = waiting.get(5, TimeUnit.SECONDS);
            assertTrue(failure instanceof ImageClosedException, String.valueOf(failure));
            assertEquals(server.url() + ": image is closed", failure.getMessage());
        } finally {
            pool.shutdownNow();
        }
        ImageClosedException after = assertThrows(ImageClosedException.class, () -> read(file, 0, 512));
        assertEquals(server.url() + ": image is closed", after.getMessage());
    }
}

package org.jblock.protocol.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

import org.jblock.api.BlockException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * https:// against a server whose self-signed certificate (made by the JDK's keytool) no trust store
 * knows: refused by default, read with {@code sslverify=off}.
 */
class HttpsTest {
    private static final char[] PASSWORD = "changeit".toCharArray();

    @TempDir
    static Path dir;
    private static byte[] content;
    private static RangeServer server;

    @BeforeAll
    static void start() throws Exception {
        content = new byte[300_000];
        new Random(5).nextBytes(content);
        server = new RangeServer(content, selfSigned(dir.resolve("server.p12")));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void an_unknown_certificate_is_refused_by_default_with_the_way_out_named() {
        BlockException e = assertThrows(BlockException.class, () -> HttpBlockFile.open(server.url(), HttpSettings.DEFAULTS));
        assertTrue(e.getMessage().startsWith(server.url() + ": TLS failed: "), e.getMessage());
        assertTrue(e.getMessage().endsWith("(sslverify=off skips checking the server's certificate)"), e.getMessage());
    }

    @Test
    void sslverify_off_reads_the_object() throws IOException {
        try (HttpBlockFile file = HttpBlockFile.open(server.url(), HttpSettings.parse(Map.of("sslverify", "off")))) {
            assertEquals(content.length, file.size());
            ByteBuffer tail = ByteBuffer.allocate(512);
            file.readFully(tail, content.length - 512);
            assertArrayEquals(Arrays.copyOfRange(content, content.length - 512, content.length), tail.array());
        }
    }

    @Test
    void a_proxy_carries_https_through_a_connect_tunnel() throws Exception {
        try (java.net.ServerSocket proxy = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread acceptor = new Thread(() -> tunnels(proxy, asked), "connect-proxy");
            acceptor.setDaemon(true);
            acceptor.start();
            java.net.ProxySelector saved = java.net.ProxySelector.getDefault();
            java.net.ProxySelector.setDefault(java.net.ProxySelector.of(
                    new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), proxy.getLocalPort())));
            String url = "https://images.invalid/disk.img";
            try (HttpBlockFile file = HttpBlockFile.open(url, HttpSettings.parse(Map.of("sslverify", "off")))) {
                ByteBuffer tail = ByteBuffer.allocate(512);
                file.readFully(tail, content.length - 512);
                assertArrayEquals(Arrays.copyOfRange(content, content.length - 512, content.length), tail.array());
            } finally {
                java.net.ProxySelector.setDefault(saved);
            }
            assertTrue(!asked.isEmpty() && asked.stream().allMatch("CONNECT images.invalid:443 HTTP/1.1"::equals),
                    asked.toString());
        }
    }

    /** A proxy that opens every tunnel asked for to the test server, whatever host was named. */
    private static void tunnels(java.net.ServerSocket proxy, List<String> asked) {
        while (!proxy.isClosed()) {
            try {
                java.net.Socket client = proxy.accept();
                StringBuilder head = new StringBuilder();
                InputStream in = client.getInputStream();
                while (!head.toString().endsWith("\r\n\r\n")) {
                    int b = in.read();
                    if (b < 0) {
                        break;
                    }
                    head.append((char) b);
                }
                asked.add(head.substring(0, Math.max(0, head.indexOf("\r\n"))));
                java.net.Socket upstream = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(),
                        java.net.URI.create(server.url()).getPort());
                client.getOutputStream().write("HTTP/1.1 200 Connection established\r\n\r\n"
                        .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                pipe(in, upstream.getOutputStream(), upstream);
                pipe(upstream.getInputStream(), client.getOutputStream(), client);
            } catch (IOException e) {
                // The proxy was closed: the test is over.
            }
        }
    }

    private static void pipe(InputStream from, java.io.OutputStream to, java.net.Socket closeAtEnd) {
        Thread thread = new Thread(() -> {
            try (closeAtEnd) {
                from.transferTo(to);
            } catch (IOException e) {
                // One side closed: so does the other.
            }
        }, "connect-proxy-pipe");
        thread.setDaemon(true);
        thread.start();
    }

    /** A TLS context with a fresh self-signed certificate for 127.0.0.1, made by keytool. */
    private static SSLContext selfSigned(Path keystore) throws IOException, InterruptedException, GeneralSecurityException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process process = new ProcessBuilder(List.of(keytool.toString(), "-genkeypair", "-alias", "server",
                "-keyalg", "EC", "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-validity", "2",
                "-storetype", "PKCS12", "-keystore", keystore.toString(),
                "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD)))
                .redirectErrorStream(true).redirectOutput(dir.resolve("keytool.log").toFile()).start();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IOException("keytool failed: " + Files.readString(dir.resolve("keytool.log")));
        }
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            store.load(in, PASSWORD);
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, PASSWORD);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), null, null);
        return context;
    }
}

package org.jblock.tests.interop;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.jblock.tests.interop.RealTools.Tool;

/**
 * A real nginx serving a folder over HTTP on 127.0.0.1 with an ephemeral port, everything it writes
 * (configuration, pid, logs, temporary files) in a folder of its own. Its access log has one line
 * per request, {@code METHOD RANGE STATUS}, so tests count round trips as the server saw them.
 * {@link #close()} stops it.
 */
final class Nginx implements LocalServers.Started {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(15);
    /** Another process may take the port between our probe and nginx's bind: try again a few times. */
    private static final int PORT_ATTEMPTS = 5;

    private final Path state;
    private final Process process;
    private final int port;

    private Nginx(Path state, Process process, int port) {
        this.state = state;
        this.process = process;
        this.port = port;
    }

    /** Starts nginx serving {@code root}; {@code state} holds its own files. Requires the tool. */
    static Nginx serve(Path root, Path state) throws IOException {
        RealTools.require(Tool.NGINX);
        String nginx = RealTools.locate(Tool.NGINX).orElseThrow();
        Files.createDirectories(state);
        return LocalServers.start("nginx", PORT_ATTEMPTS, START_TIMEOUT, connected -> true, port -> {
            Path conf = state.resolve("nginx.conf");
            Files.writeString(conf, config(root, state, port), StandardCharsets.UTF_8);
            Files.deleteIfExists(state.resolve("access.log"));
            Process process = new ProcessBuilder(List.of(nginx, "-p", state.toString(), "-c", conf.toString(),
                    "-e", state.resolve("error.log").toString()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(state.resolve("stdout.log").toFile())
                    .redirectErrorStream(true)
                    .start();
            return new Nginx(state, process, port);
        });
    }

    private static String config(Path root, Path state, int port) {
        return String.join("\n",
                "daemon off;",
                "master_process off;",
                "worker_processes 1;",
                "pid " + state.resolve("nginx.pid") + ";",
                "error_log " + state.resolve("error.log") + " warn;",
                "events { worker_connections 64; }",
                "http {",
                "    log_format ranges '$request_method $http_range $status';",
                "    access_log " + state.resolve("access.log") + " ranges;",
                "    client_body_temp_path " + state.resolve("client_body") + ";",
                "    proxy_temp_path " + state.resolve("proxy") + ";",
                "    fastcgi_temp_path " + state.resolve("fastcgi") + ";",
                "    uwsgi_temp_path " + state.resolve("uwsgi") + ";",
                "    scgi_temp_path " + state.resolve("scgi") + ";",
                "    default_type application/octet-stream;",
                "    server {",
                "        listen 127.0.0.1:" + port + ";",
                "        root " + root + ";",
                "    }",
                "}",
                "");
    }


    /** @return the URL under which {@code relative} (a path below the served folder) is served */
    String url(String relative) {
        return "http://127.0.0.1:" + port + "/" + relative;
    }

    /** @return the requests nginx has logged so far, as {@code METHOD RANGE STATUS} lines */
    private List<String> requests() throws IOException {
        Path log = state.resolve("access.log");
        return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
    }

    /**
     * @return the requests nginx has logged once its log has stopped growing for a moment (at most
     *         10 s): nginx writes a request's line after its answer is sent, so a client can be done
     *         with a request before the line is there
     */
    List<String> settledRequests() throws IOException, InterruptedException {
        List<String> last = requests();
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            Thread.sleep(250);
            List<String> now = requests();
            if (now.size() == last.size()) {
                return now;
            }
            last = now;
        }
        return last;
    }

    @Override
    public Process process() {
        return process;
    }

    /** @return what nginx has logged as errors */
    @Override
    public String said() throws IOException {
        return LocalServers.said(state.resolve("error.log"), "(no error log)");
    }

}

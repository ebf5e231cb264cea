/**
 * Images on web servers and object stores, read by byte range: {@code http://} and
 * {@code https://} URLs, read-only.
 *
 * <p>Opening asks for the first {@code readahead} bytes with one ranged {@code GET}, which gives
 * the size and the object's validators; a VHD's footer costs one more request, and its header and
 * block table usually come with the first. Reads go through a cache of 64 KiB blocks (32 MiB per
 * image); a miss fetches the missing blocks in one request per run and reads ahead. A reader that
 * goes on where an earlier read stopped has the next 8 MiB fetched ahead of it in requests of
 * 2 MiB. Requests run on four threads of the image's own over as many keep-alive HTTP/1.1
 * connections; readers of a block that is being fetched wait for that fetch instead of sending
 * their own. Memory: the 32 MiB of the cache, plus at most the four requests in flight (8 MiB
 * each) whose blocks the cache let go of before they arrived. {@code close()} closes the
 * connections and ends the threads.
 *
 * <p>Never wrong data: every request after the first carries {@code If-Range} and
 * {@code If-Match} (or the {@code Last-Modified} date), and only a {@code 206} with exactly the
 * range asked for, of an object of the same size and validators, is accepted (or, to the first
 * request, the whole object when it is no longer than the range). A server that ignores ranges, an
 * object that changed, a response cut short, an error status, more than 10
 * redirects, a refused connection or a server that stalls for {@code timeout} is an error naming
 * the URL.
 *
 * <p>A proxy that the JDK's default {@link java.net.ProxySelector} names carries the requests
 * (https ones through a {@code CONNECT} tunnel).
 *
 * <p>Options (QEMU's curl driver's names): {@code readahead} (bytes, default 256K),
 * {@code timeout} (seconds without progress, default 30), {@code sslverify} (on|off, default on:
 * the JDK's trust store, which {@code -Djavax.net.ssl.trustStore} replaces), {@code cookie},
 * {@code username}, {@code password} (user info in the URL works too; credentials and cookie go
 * only to the URL's own origin).
 */
module org.jblock.protocol.http {
    requires org.jblock.api;
    requires java.net.http;

    provides org.jblock.api.spi.BlockProtocol
            with org.jblock.protocol.http.HttpProtocol, org.jblock.protocol.http.HttpsProtocol;
}

package org.jblock.protocol.http;

import java.net.Socket;
import java.net.http.HttpClient;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The JDK HTTP clients the images share, one per TLS policy, made on first use: a client pools
 * connections and owns threads, so every image on one policy uses the same one.
 *
 * <p>Redirects are followed by {@link RemoteObject} itself (to keep credentials at their origin
 * and to name a loop); the clients follow none.
 */
final class HttpClients {
    private static final class Verifying {
        static final HttpClient CLIENT = builder().build();
    }

    private static final class Trusting {
        static final HttpClient CLIENT = builder().sslContext(trustingEverything()).build();
    }

    private HttpClients() {
    }

    /** @return the client for {@code sslVerify}: the JDK's trust store and host name check, or none */
    static HttpClient client(boolean sslVerify) {
        return sslVerify ? Verifying.CLIENT : Trusting.CLIENT;
    }

    private static HttpClient.Builder builder() {
        return HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER);
    }

    /**
     * A TLS context that accepts any certificate for any host ({@code sslverify=off}): an
     * {@link X509ExtendedTrustManager} is also where the JDK checks the host name, so this one
     * skips that too.
     */
    private static SSLContext trustingEverything() {
        TrustManager trustAll = new X509ExtendedTrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {trustAll}, new SecureRandom());
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK offers no TLS", e);
        }
    }
}

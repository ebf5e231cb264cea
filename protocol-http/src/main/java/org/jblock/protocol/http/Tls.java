package org.jblock.protocol.http;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The TLS policy of an https image: the JDK's trust store and host name check ({@code sslverify=on}),
 * or no check at all ({@code sslverify=off}).
 *
 * @param context where TLS sockets come from
 * @param verify  whether the server's certificate and host name are checked
 */
record Tls(SSLContext context, boolean verify) {
    private static final class Verifying {
        static final Tls POLICY = new Tls(defaultContext(), true);
    }

    private static final class Trusting {
        static final Tls POLICY = new Tls(trustingEverything(), false);
    }

    /**
     * @return the policy for {@code sslVerify}, made on first use (loading the trust store costs
     *         tens of milliseconds, which plain http never pays)
     */
    static Tls of(boolean sslVerify) {
        return sslVerify ? Verifying.POLICY : Trusting.POLICY;
    }

    private static SSLContext defaultContext() {
        try {
            return SSLContext.getDefault();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK offers no TLS", e);
        }
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

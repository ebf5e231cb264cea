package org.jblock.protocol.http;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.jblock.api.InvalidOptionException;
import org.jblock.api.OptionSpec;
import org.jblock.api.Options;

/**
 * The options of an HTTP(S) image, with QEMU's curl driver's key names where they apply.
 *
 * @param readahead  the least number of bytes one request fetches (a miss reads on past the request)
 * @param timeout    how long a request may wait without progress: to connect, for the response to
 *                   begin, and between parts of the body
 * @param sslVerify  whether an https server's certificate is checked against the trust store
 * @param cookie     a {@code Cookie} header sent with every request, or null
 * @param username   the user for HTTP authentication, or null
 * @param password   the password for HTTP authentication, or null
 */
record HttpSettings(long readahead, Duration timeout, boolean sslVerify, String cookie, String username,
                    String password) {

    static final OptionSpec<Long> READAHEAD = OptionSpec.size("readahead", 256L << 10,
            "the least number of bytes one request reads (a miss reads on past the request)");
    static final OptionSpec<Long> TIMEOUT = OptionSpec.integer("timeout", 30L,
            "seconds a request may wait without progress (to connect, for the answer, between parts of it)");
    static final OptionSpec<Boolean> SSL_VERIFY = OptionSpec.bool("sslverify", true,
            "check an https server's certificate against the JDK's trust store");
    static final OptionSpec<String> COOKIE = OptionSpec.string("cookie", null,
            "a Cookie header sent with every request (name=value; name2=value2)");
    static final OptionSpec<String> USERNAME = OptionSpec.string("username", null,
            "the user name for HTTP authentication (the URL's user info works too)");
    static final OptionSpec<String> PASSWORD = OptionSpec.string("password", null,
            "the password for HTTP authentication (the URL's user info works too)");

    /** Every option, for listings and for checking. */
    static final List<OptionSpec<?>> SPECS = List.of(READAHEAD, TIMEOUT, SSL_VERIFY, COOKIE, USERNAME, PASSWORD);

    /** The most a readahead may be: one request's worth of memory for each reader at a time. */
    static final long MAX_READAHEAD = 64L << 20;
    /** A day: longer is a mistake, not a wish. */
    static final long MAX_TIMEOUT_SECONDS = 86_400;

    static final HttpSettings DEFAULTS = new HttpSettings(READAHEAD.defaultValue(),
            Duration.ofSeconds(TIMEOUT.defaultValue()), true, null, null, null);

    /** Checks {@code options} (text values, as a user typed them) and fills in the defaults. */
    static HttpSettings parse(Map<String, String> options) throws InvalidOptionException {
        return from(Options.of(options, SPECS));
    }

    static HttpSettings from(Options options) throws InvalidOptionException {
        long readahead = options.get(READAHEAD);
        if (readahead < 0 || readahead > MAX_READAHEAD) {
            throw new InvalidOptionException("readahead must be between 0 and 64 MiB (got " + readahead + ")");
        }
        long timeout = options.get(TIMEOUT);
        if (timeout <= 0 || timeout > MAX_TIMEOUT_SECONDS) {
            throw new InvalidOptionException("timeout must be between 1 and " + MAX_TIMEOUT_SECONDS
                    + " seconds (got " + timeout + ")");
        }
        return new HttpSettings(readahead, Duration.ofSeconds(timeout), options.get(SSL_VERIFY),
                options.get(COOKIE), options.get(USERNAME), options.get(PASSWORD));
    }

    /** @return these settings with the user and password of a URL's user info, where none were given */
    HttpSettings withUserInfo(String userInfo) {
        if (userInfo == null) {
            return this;
        }
        int colon = userInfo.indexOf(':');
        String user = colon < 0 ? userInfo : userInfo.substring(0, colon);
        String pass = colon < 0 ? null : userInfo.substring(colon + 1);
        return new HttpSettings(readahead, timeout, sslVerify, cookie,
                username != null ? username : user, password != null ? password : pass);
    }

    @Override
    public String toString() {
        // Never the password: settings end up in messages and logs.
        return "readahead=" + readahead + ",timeout=" + timeout.toSeconds() + ",sslverify=" + (sslVerify ? "on" : "off")
                + (cookie != null ? ",cookie=<set>" : "") + (username != null ? ",username=" + username : "")
                + (password != null ? ",password=<set>" : "");
    }
}

package org.jblock.protocol.http;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.jblock.api.BlockFile;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.OptionSpec;
import org.jblock.api.UnsupportedFeatureException;
import org.jblock.api.spi.BlockProtocol;
import org.jblock.api.spi.ProtocolRequest;

/**
 * What the {@code http} and {@code https} protocols share: QEMU's curl driver's options, the URL
 * as the {@code url} option, and read-only opens of a {@link HttpBlockFile}.
 *
 * <p>It implements {@link BlockProtocol}'s methods without declaring the interface: the two final
 * providers declare it and inherit these, so the only classes that are protocols are final ones.
 */
abstract class WebProtocol {
    static final OptionSpec<String> URL = OptionSpec.string("url", null, "the image's URL");

    private final String scheme;

    WebProtocol(String scheme) {
        this.scheme = scheme;
    }

    public final String name() {
        return scheme;
    }

    public final String description() {
        return "an image on a web server (" + scheme + "://), read-only, by byte range";
    }

    public final Set<String> prefixes() {
        return Set.of(scheme);
    }

    public final Map<String, String> parseFilename(String filename) {
        Map<String, String> options = new LinkedHashMap<>();
        options.put(URL.name(), filename);
        return options;
    }

    public final List<OptionSpec<?>> openOptions() {
        List<OptionSpec<?>> specs = new ArrayList<>();
        specs.add(URL);
        specs.addAll(HttpSettings.SPECS);
        return specs;
    }

    /**
     * Opens the URL read-only. Locks mean nothing to a web server: every mode is accepted.
     *
     * @throws UnsupportedFeatureException when asked to open for writing
     */
    public final BlockFile open(ProtocolRequest request) throws IOException {
        String url = request.options().get(URL);
        if (url == null || url.isEmpty()) {
            throw new InvalidOptionException("The '" + scheme + "' block driver requires a URL (url=" + scheme + "://...)");
        }
        if (!url.toLowerCase(Locale.ROOT).startsWith(scheme + "://")) {
            throw new InvalidOptionException("The '" + scheme + "' block driver takes " + scheme + ":// URLs, not '"
                    + url + "'");
        }
        if (!request.readOnly()) {
            throw new UnsupportedFeatureException(url + ": the " + scheme + " protocol is read-only (open the image"
                    + " read-only: jblock-io -r, or read-only=on)");
        }
        return HttpBlockFile.open(url, HttpSettings.from(request.options()));
    }
}

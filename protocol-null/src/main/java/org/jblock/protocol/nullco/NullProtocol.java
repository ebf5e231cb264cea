package org.jblock.protocol.nullco;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jblock.api.BlockFile;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.OptionSpec;
import org.jblock.api.Options;
import org.jblock.api.spi.BlockProtocol;
import org.jblock.api.spi.ProtocolRequest;

/**
 * QEMU's {@code null-co} and {@code null-aio} drivers, which differ only in name: the only filename
 * is {@code NAME://}, the size and behaviour come from options (see the module's description).
 */
abstract class NullProtocol implements BlockProtocol {
    static final long DEFAULT_SIZE = 1L << 30;
    static final OptionSpec<Long> SIZE = OptionSpec.size("size", DEFAULT_SIZE, "the size in bytes (default 1G)");
    static final OptionSpec<Boolean> READ_ZEROES = OptionSpec.bool("read-zeroes", false,
            "report the storage as zeros in block status (reads give zeros either way)");
    static final OptionSpec<Long> LATENCY_NS = OptionSpec.integer("latency-ns", 0L,
            "nanoseconds each request waits before it completes");

    private final String name;

    NullProtocol(String name) {
        this.name = name;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final String description() {
        return "storage that reads zeros and forgets what is written (for tests)";
    }

    /** {@code NAME://} is the whole of a filename, as QEMU's {@code null_*_parse_filename} wants. */
    @Override
    public final Map<String, String> parseFilename(String filename) throws InvalidOptionException {
        if (!filename.equals(filename())) {
            throw new InvalidOptionException("The only allowed filename for this driver is '" + filename() + "'");
        }
        return new LinkedHashMap<>();
    }

    @Override
    public final List<OptionSpec<?>> openOptions() {
        return List.of(SIZE, READ_ZEROES, LATENCY_NS);
    }

    @Override
    public final BlockFile open(ProtocolRequest request) throws IOException {
        Options options = request.options();
        long size = options.get(SIZE);
        if (size < 0) {
            throw new InvalidOptionException("Parameter 'size' expects a size of at least 0");
        }
        long latency = options.get(LATENCY_NS);
        if (latency < 0) {
            throw new InvalidOptionException("latency-ns is invalid");
        }
        // QEMU names the node NAME:// only when nothing but the latency was given; a size or
        // read-zeroes makes its name the options themselves.
        boolean readZeroes = options.get(READ_ZEROES);
        String shown = filename();
        if (options.isSet(SIZE) || options.isSet(READ_ZEROES)) {
            shown = "json:{\"driver\": \"" + name + "\"" + (options.isSet(READ_ZEROES) ? ", \"read-zeroes\": "
                    + readZeroes : "") + (options.isSet(SIZE) ? ", \"size\": " + size : "") + "}";
        }
        return new NullBlockFile(shown, size, readZeroes, latency, request.readOnly());
    }

    private String filename() {
        return name + "://";
    }
}

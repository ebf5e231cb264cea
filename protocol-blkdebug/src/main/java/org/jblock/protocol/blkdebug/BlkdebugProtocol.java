package org.jblock.protocol.blkdebug;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jblock.api.BlockFile;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.OptionSpec;
import org.jblock.api.Options;
import org.jblock.api.spi.BlockProtocol;
import org.jblock.api.spi.ProtocolRequest;

/**
 * {@code blkdebug}, QEMU's fault-injection filter, as a protocol over another: it passes every
 * request to its child {@code image} and fails those its rules say, with the error number they
 * give. Reached as QEMU reaches it:
 * <ul>
 *   <li>{@code blkdebug:RULES:IMAGE} — a rule file ({@link RuleFile}; empty: no rules) and the
 *       child's filename ({@code blkdebug::t.vhd});</li>
 *   <li>{@code driver=blkdebug,image.filename=t.vhd,config=rules.conf} and rules as options:
 *       {@code inject-error.0.event=none,inject-error.0.iotype=read,inject-error.0.sector=8},
 *       {@code set-state.0.event=...,set-state.0.state=1,set-state.0.new_state=2} (a {@code json:}
 *       filename's lists flatten to these).</li>
 * </ul>
 * {@code align} (QEMU's request alignment, a power of two) is checked and accepted: jblock's drivers
 * make requests of any alignment the storage takes, so it changes nothing.
 */
public final class BlkdebugProtocol implements BlockProtocol {
    /** Rule options per list: {@code inject-error.0.*} to {@code inject-error.(MAX_RULES-1).*}. */
    static final int MAX_RULES = 64;

    static final String NAME = "blkdebug";
    static final String CHILD = "image";
    private static final OptionSpec<String> CONFIG = OptionSpec.string("config", "", "Rule file (QEMU's config syntax)");
    private static final OptionSpec<Long> ALIGN = OptionSpec.size("align", 0L, "Request alignment in bytes (a power of two)");

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "fault injection over another protocol (QEMU's blkdebug rules)";
    }

    @Override
    public Map<String, String> parseFilename(String filename) throws InvalidOptionException {
        String rest = filename.substring(NAME.length() + 1);
        int colon = rest.indexOf(':');
        if (!filename.startsWith(NAME + ":") || colon < 0) {
            throw new InvalidOptionException("Invalid filename '" + filename
                    + "': a blkdebug filename is blkdebug:[RULE_FILE]:IMAGE");
        }
        Map<String, String> options = new LinkedHashMap<>();
        options.put(CONFIG.name(), rest.substring(0, colon));
        options.put(CHILD, rest.substring(colon + 1));
        return options;
    }

    @Override
    public List<OptionSpec<?>> openOptions() {
        return allOptions();
    }

    @Override
    public Set<String> children() {
        return Set.of(CHILD);
    }

    @Override
    public BlockFile open(ProtocolRequest request) throws IOException {
        Options options = request.options();
        Injector injector = injector(options);
        BlockFile image = request.child(CHILD);
        String config = options.get(CONFIG);
        return new BlkdebugFile(image, injector, NAME + ":" + config + ":" + image.name());
    }

    /** The rules the options give (rule file and {@code inject-error.N.*} / {@code set-state.N.*}), at work. */
    static Injector injector(Options options) throws IOException {
        long align = options.get(ALIGN);
        if (align != 0 && (align < 0 || Long.bitCount(align) != 1 || align > Integer.MAX_VALUE)) {
            throw new InvalidOptionException("Cannot meet constraints with align " + align
                    + " (a power of two is needed)");
        }
        String config = options.get(CONFIG);
        List<Rule> rules = new ArrayList<>(config.isEmpty() ? List.of() : RuleFile.parse(read(config), config));
        rules.addAll(optionRules(options));
        return new Injector(rules);
    }

    private static String read(String config) throws IOException {
        try {
            return Files.readString(Path.of(config), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(config, null, "Could not read blkdebug config file");
        }
    }

    /** The rules given as {@code inject-error.N.key} and {@code set-state.N.key} options, by N. */
    private static List<Rule> optionRules(Options options) throws InvalidOptionException {
        List<Rule> rules = new ArrayList<>();
        Map<String, Object> given = options.asMap();
        for (Rule.Kind kind : Rule.Kind.values()) {
            for (int i = 0; i < MAX_RULES; i++) {
                Map<String, String> values = new LinkedHashMap<>();
                for (String key : kind.keys) {
                    Object value = given.get(kind.qemuName + "." + i + "." + key);
                    if (value != null) {
                        values.put(key, String.valueOf(value));
                    }
                }
                if (!values.isEmpty()) {
                    try {
                        rules.add(Rule.of(kind, values));
                    } catch (InvalidOptionException e) {
                        throw new InvalidOptionException(kind.qemuName + "." + i + ": " + e.getMessage());
                    }
                }
            }
        }
        return rules;
    }

    /**
     * The options, made on first use: a few thousand (every rule key, 64 times), which every start
     * of every tool would otherwise make when it finds the protocol.
     */
    private static final class AllOptions {
        static final List<OptionSpec<?>> LIST = options();
    }

    /** @return the options of a blkdebug node (this protocol's, and the filter's over a format) */
    static List<OptionSpec<?>> allOptions() {
        return AllOptions.LIST;
    }

    private static List<OptionSpec<?>> options() {
        List<OptionSpec<?>> specs = new ArrayList<>(List.of(CONFIG, ALIGN));
        for (Rule.Kind kind : Rule.Kind.values()) {
            for (int i = 0; i < MAX_RULES; i++) {
                for (String key : kind.keys) {
                    specs.add(OptionSpec.string(kind.qemuName + "." + i + "." + key, null, "Rule " + i + ": " + key));
                }
            }
        }
        return Collections.unmodifiableList(specs);
    }
}

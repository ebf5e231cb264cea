package org.jblock.api;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Option values checked against a driver's {@link OptionSpec}s: what {@code -o key=value,...} on
 * the command line becomes before a driver sees it.
 *
 * <p>Immutable. Reading an option that was not given yields its default.
 */
public final class Options {
    /** No options given. */
    public static final Options EMPTY = new Options(Map.of());

    private final Map<String, Object> values;

    private Options(Map<String, Object> values) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /**
     * Parses {@code key=value,key=value} (a bare {@code key} means {@code key=on}; {@code ,,}
     * escapes a comma inside a value, as in QEMU) against {@code specs}.
     *
     * @throws InvalidOptionException for an unknown key (listing the known ones), a key given twice
     *                                or a value that does not parse
     */
    public static Options parse(String text, Collection<? extends OptionSpec<?>> specs) throws InvalidOptionException {
        return of(split(text), specs);
    }

    /**
     * Splits an option list {@code key=value,key=value} into its pairs, in order, without checking
     * them against any spec: a bare {@code key} means {@code key=on}, and {@code ,,} stands for a
     * comma inside a value, as in QEMU. For tools that take some keys for themselves and pass the
     * rest on.
     *
     * @throws InvalidOptionException for an empty key or a key given twice
     */
    public static Map<String, String> split(String text) throws InvalidOptionException {
        Map<String, String> pairs = new LinkedHashMap<>();
        if (text == null || text.isBlank()) {
            return pairs;
        }
        for (String item : items(text)) {
            int eq = item.indexOf('=');
            String key = (eq < 0 ? item : item.substring(0, eq)).trim();
            String value = eq < 0 ? "on" : item.substring(eq + 1);
            if (key.isEmpty()) {
                throw new InvalidOptionException("Invalid option list: '" + text + "'");
            }
            if (pairs.putIfAbsent(key, value) != null) {
                throw new InvalidOptionException("Option '" + key + "' is given more than once");
            }
        }
        return pairs;
    }

    /** @return {@code pairs} written back as an option list, commas in values escaped */
    public static String join(Map<String, String> pairs) {
        return pairs.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().replace(",", ",,"))
                .collect(Collectors.joining(","));
    }

    /** Checks already-split values, given as text or as typed values, against {@code specs}. */
    public static Options of(Map<String, ?> given, Collection<? extends OptionSpec<?>> specs) throws InvalidOptionException {
        Map<String, OptionSpec<?>> byName = new LinkedHashMap<>();
        for (OptionSpec<?> spec : specs) {
            byName.put(spec.name(), spec);
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (Map.Entry<String, ?> e : given.entrySet()) {
            OptionSpec<?> spec = byName.get(e.getKey());
            if (spec == null) {
                throw new InvalidOptionException("Invalid parameter '" + e.getKey() + "'"
                        + (byName.isEmpty() ? " (this format accepts no options)"
                        : " (accepted: " + String.join(", ", byName.keySet()) + ")"));
            }
            Object value = e.getValue() instanceof String ? spec.parse((String) e.getValue()) : spec.cast(e.getValue());
            values.put(spec.name(), value);
        }
        return new Options(values);
    }

    /**
     * Splits an option list at single commas, in order: {@code ,,} stands for a comma inside an
     * item, and blank items are dropped. The one splitter of QEMU's option lists.
     */
    public static List<String> items(String text) {
        List<String> items = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == ',') {
                if (i + 1 < text.length() && text.charAt(i + 1) == ',') {
                    current.append(',');
                    i++;
                    continue;
                }
                items.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        items.add(current.toString());
        items.removeIf(String::isBlank);
        return items;
    }

    /** @return the value given for {@code spec}, or its default (which may be null) */
    public <T> T get(OptionSpec<T> spec) {
        Object value = values.get(spec.name());
        return value == null ? spec.defaultValue() : Objects.requireNonNull(spec.cast0(value));
    }

    /** @return whether the option was given explicitly */
    public boolean isSet(OptionSpec<?> spec) {
        return values.containsKey(spec.name());
    }

    /** @return the options given explicitly, in the order given */
    public Map<String, Object> asMap() {
        return values;
    }

    @Override
    public String toString() {
        return values.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(","));
    }
}

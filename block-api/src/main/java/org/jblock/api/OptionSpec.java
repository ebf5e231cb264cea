package org.jblock.api;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One option a driver accepts for open or create: its name, type, default and help text.
 *
 * <p>Values are typed: {@link Type#SIZE} and {@link Type#INTEGER} give {@code Long},
 * {@link Type#BOOLEAN} gives {@code Boolean}, {@link Type#ENUM} and {@link Type#STRING} give
 * {@code String}. Build specs with the static factories.
 *
 * @param <T> the Java type of the value
 */
public final class OptionSpec<T> {

    /** The kinds of value, with how they are written. */
    public enum Type {
        /** A byte count: {@code 65536}, {@code 64k}, {@code 2G} (see {@link Sizes}). */
        SIZE,
        /** {@code on} or {@code off} (also {@code true}/{@code false}, {@code yes}/{@code no}). */
        BOOLEAN,
        /** One of a fixed list of words. */
        ENUM,
        /** A whole number. */
        INTEGER,
        /** Free text. */
        STRING
    }

    private final String name;
    private final Type type;
    private final Class<T> javaType;
    private final T defaultValue;
    private final String help;
    private final List<String> choices;
    private final boolean strong;

    private OptionSpec(String name, Type type, Class<T> javaType, T defaultValue, String help, List<String> choices) {
        this(name, type, javaType, defaultValue, help, choices, false);
    }

    private OptionSpec(String name, Type type, Class<T> javaType, T defaultValue, String help, List<String> choices,
                       boolean strong) {
        this.name = Objects.requireNonNull(name);
        this.type = type;
        this.javaType = javaType;
        this.defaultValue = defaultValue;
        this.help = Objects.requireNonNull(help);
        this.choices = List.copyOf(choices);
        this.strong = strong;
    }

    /**
     * This option, marked as one that changes what the image presents (QEMU's "strong" options, such
     * as raw's {@code offset} and {@code size}): the file alone would open another disk, so an image
     * opened with it set is named by its {@code json:{...}} options, as QEMU names it, rather than by
     * its file.
     */
    public OptionSpec<T> strong() {
        return new OptionSpec<>(name, type, javaType, defaultValue, help, choices, true);
    }

    /** @return whether the option changes what the image presents (see {@link #strong()}) */
    public boolean isStrong() { return strong; }

    /** A size option; {@code defaultValue} may be null (no default). */
    public static OptionSpec<Long> size(String name, Long defaultValue, String help) {
        return new OptionSpec<>(name, Type.SIZE, Long.class, defaultValue, help, List.of());
    }

    /** An on/off option. */
    public static OptionSpec<Boolean> bool(String name, boolean defaultValue, String help) {
        return new OptionSpec<>(name, Type.BOOLEAN, Boolean.class, defaultValue, help, List.of());
    }

    /** A choice among {@code choices}; {@code defaultValue} may be null (meaning: decide per image). */
    public static OptionSpec<String> choice(String name, String defaultValue, String help, String... choices) {
        if (defaultValue != null && !List.of(choices).contains(defaultValue)) {
            throw new IllegalArgumentException("default " + defaultValue + " is not a choice of " + name);
        }
        return new OptionSpec<>(name, Type.ENUM, String.class, defaultValue, help, List.of(choices));
    }

    /** A whole-number option. */
    public static OptionSpec<Long> integer(String name, Long defaultValue, String help) {
        return new OptionSpec<>(name, Type.INTEGER, Long.class, defaultValue, help, List.of());
    }

    /** A free-text option. */
    public static OptionSpec<String> string(String name, String defaultValue, String help) {
        return new OptionSpec<>(name, Type.STRING, String.class, defaultValue, help, List.of());
    }

    public String name() { return name; }

    public Type type() { return type; }

    /** @return the default, or null when the option has none */
    public T defaultValue() { return defaultValue; }

    public String help() { return help; }

    /** @return the accepted words of an {@link Type#ENUM} option, else empty */
    public List<String> choices() { return choices; }

    /**
     * Parses a value as written by a user.
     *
     * @throws InvalidOptionException naming the option and what it accepts
     */
    public T parse(String text) throws InvalidOptionException {
        String value = text == null ? "" : text.trim();
        switch (type) {
            case SIZE:
                try {
                    return javaType.cast(Sizes.parse(value));
                } catch (InvalidOptionException e) {
                    throw invalid(value, "a size such as 1048576, 64k, 1M or 2G");
                }
            case INTEGER:
                try {
                    return javaType.cast(Long.decode(value));
                } catch (NumberFormatException e) {
                    throw invalid(value, "a whole number");
                }
            case BOOLEAN:
                switch (value.toLowerCase(Locale.ROOT)) {
                    case "on": case "true": case "yes": case "":
                        return javaType.cast(Boolean.TRUE);
                    case "off": case "false": case "no":
                        return javaType.cast(Boolean.FALSE);
                    default:
                        throw invalid(value, "'on' or 'off'");
                }
            case ENUM:
                if (choices.contains(value)) {
                    return javaType.cast(value);
                }
                throw invalid(value, "one of " + String.join(", ", choices));
            default:
                return javaType.cast(value);
        }
    }

    /**
     * Checks a value given in code (not text), e.g. a size passed to create.
     *
     * @throws InvalidOptionException when it is of the wrong type or not a choice
     */
    T cast(Object value) throws InvalidOptionException {
        if (value instanceof String && type != Type.STRING && type != Type.ENUM) {
            return parse((String) value);
        }
        if (value instanceof Integer && javaType == Long.class) {
            value = ((Integer) value).longValue();
        }
        if (!javaType.isInstance(value)) {
            throw invalid(String.valueOf(value), "a value of type " + type.name().toLowerCase(Locale.ROOT));
        }
        if (type == Type.ENUM && !choices.contains(value)) {
            throw invalid(String.valueOf(value), "one of " + String.join(", ", choices));
        }
        return javaType.cast(value);
    }

    /** Casts a value that {@link Options} already checked. */
    T cast0(Object value) {
        return javaType.cast(value);
    }

    private InvalidOptionException invalid(String value, String accepted) {
        return new InvalidOptionException("Invalid value '" + value + "' for option '" + name
                + "': expected " + accepted);
    }

    @Override
    public String toString() {
        return name + " (" + type.name().toLowerCase(Locale.ROOT) + ")";
    }
}

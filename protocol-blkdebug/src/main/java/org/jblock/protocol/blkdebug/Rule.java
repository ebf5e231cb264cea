package org.jblock.protocol.blkdebug;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import org.jblock.api.InvalidOptionException;

/**
 * One rule of a blkdebug configuration, with QEMU's keys and defaults.
 *
 * <ul>
 *   <li>{@code [inject-error]}: when {@code event} fires (in {@code state}, 0 = any), requests of the
 *       kinds in {@code iotype} (default: all but block-status) that cover byte {@code sector} × 512
 *       (default: any) fail with {@code errno} (default 5, EIO) — every time, or with {@code once=on}
 *       only the first time. {@code immediately} is accepted; requests fail when they are made
 *       either way.</li>
 *   <li>{@code [set-state]}: when {@code event} fires in {@code state}, the state becomes
 *       {@code new_state}. The state starts at 1.</li>
 * </ul>
 */
record Rule(Kind kind, String event, int state, int errno, long offset, boolean once, Set<IoType> ioTypes,
            int newState) {

    /** The two sections of a rule file, and the two lists of the {@code inject-error.N.*} / {@code set-state.N.*} options. */
    enum Kind {
        INJECT_ERROR("inject-error", Set.of("event", "state", "errno", "sector", "once", "immediately", "iotype")),
        SET_STATE("set-state", Set.of("event", "state", "new_state"));

        final String qemuName;
        final Set<String> keys;

        Kind(String qemuName, Set<String> keys) {
            this.qemuName = qemuName;
            this.keys = keys;
        }

        static Kind named(String name) {
            for (Kind kind : values()) {
                if (kind.qemuName.equals(name)) {
                    return kind;
                }
            }
            return null;
        }
    }

    private static final int EIO = 5;

    /**
     * @param values the rule's keys and values, as text
     * @throws InvalidOptionException naming the key that is missing, unknown or not valid
     */
    static Rule of(Kind kind, Map<String, String> values) throws InvalidOptionException {
        for (String key : values.keySet()) {
            if (!kind.keys.contains(key)) {
                throw new InvalidOptionException("Invalid parameter '" + key + "'");
            }
        }
        String event = values.get("event");
        if (event == null) {
            throw new InvalidOptionException("Missing event name for rule");
        }
        if (!Event.NAMES.contains(event)) {
            throw new InvalidOptionException("Invalid event name \"" + event + "\"");
        }
        int state = (int) number(values, "state", 0);
        if (kind == Kind.SET_STATE) {
            return new Rule(kind, event, state, 0, -1, false, Set.of(), (int) number(values, "new_state", 0));
        }
        long sector = number(values, "sector", -1);
        Set<IoType> ioTypes = IoType.DEFAULT;
        String iotype = values.get("iotype");
        if (iotype != null) {
            IoType type = IoType.named(iotype);
            if (type == null) {
                throw new InvalidOptionException("Parameter 'iotype' does not accept value '" + iotype + "'");
            }
            ioTypes = EnumSet.of(type);
        }
        boolean once = bool(values, "once");
        bool(values, "immediately");
        int errno = (int) number(values, "errno", EIO);
        if (errno <= 0) {
            throw new InvalidOptionException("Parameter 'errno' expects a positive error number");
        }
        return new Rule(kind, event, state, errno, sector < 0 ? -1 : Math.multiplyExact(sector, 512L), once,
                Set.copyOf(ioTypes), 0);
    }

    private static long number(Map<String, String> values, String key, long absent) throws InvalidOptionException {
        String text = values.get(key);
        if (text == null) {
            return absent;
        }
        try {
            return Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            throw new InvalidOptionException("Parameter '" + key + "' expects a number");
        }
    }

    private static boolean bool(Map<String, String> values, String key) throws InvalidOptionException {
        String text = values.get(key);
        if (text == null) {
            return false;
        }
        switch (text) {
            case "on": case "yes": case "true": case "y":
                return true;
            case "off": case "no": case "false": case "n":
                return false;
            default:
                throw new InvalidOptionException("Parameter '" + key + "' expects 'on' or 'off'");
        }
    }

    /** @return whether a request of {@code type} on bytes {@code [start, start + length)} is one this rule fails */
    boolean hits(IoType type, long start, long length) {
        return ioTypes.contains(type) && (offset < 0 || (offset >= start && offset - start < Math.max(length, 1)));
    }
}

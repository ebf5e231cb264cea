package org.jblock.protocol.blkdebug;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jblock.api.InvalidOptionException;

/**
 * A blkdebug rule file ({@code blkdebug:rules.conf:image}, option {@code config=}), in QEMU's
 * configuration syntax:
 *
 * <pre>
 * # comment
 * [inject-error]
 * event = "pwritev"
 * errno = "28"
 * once = "on"
 *
 * [set-state]
 * event = "flush_to_disk"
 * state = "1"
 * new_state = "2"
 * </pre>
 */
final class RuleFile {
    private RuleFile() {
    }

    /**
     * @param name the file's name, for messages
     * @throws InvalidOptionException naming the line that is not understood, or the rule that is not valid
     */
    static List<Rule> parse(String text, String name) throws InvalidOptionException {
        List<Rule> rules = new ArrayList<>();
        Rule.Kind kind = null;
        Map<String, String> values = null;
        int number = 0;
        for (String raw : text.split("\n", -1)) {
            number++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("[") && line.endsWith("]")) {
                if (kind != null) {
                    rules.add(rule(kind, values, name));
                }
                String group = line.substring(1, line.length() - 1).strip();
                int space = group.indexOf(' ');
                group = space < 0 ? group : group.substring(0, space);   // [group "id"]: the id is a label
                kind = Rule.Kind.named(group);
                if (kind == null) {
                    throw new InvalidOptionException(name + ":" + number + ": There is no option group '" + group + "'");
                }
                values = new LinkedHashMap<>();
                continue;
            }
            int equals = line.indexOf('=');
            if (equals <= 0 || kind == null) {
                throw new InvalidOptionException(name + ":" + number + ": "
                        + (kind == null && equals > 0 ? "no group defined" : "parse error"));
            }
            String key = line.substring(0, equals).strip();
            String value = line.substring(equals + 1).strip();
            if (value.length() < 2 || !value.startsWith("\"") || !value.endsWith("\"")) {
                throw new InvalidOptionException(name + ":" + number + ": parse error (a value is written in double quotes)");
            }
            values.put(key, value.substring(1, value.length() - 1));
        }
        if (kind != null) {
            rules.add(rule(kind, values, name));
        }
        return rules;
    }

    private static Rule rule(Rule.Kind kind, Map<String, String> values, String name) throws InvalidOptionException {
        try {
            return Rule.of(kind, values);
        } catch (InvalidOptionException e) {
            throw new InvalidOptionException(name + ": [" + kind.qemuName + "]: " + e.getMessage());
        }
    }
}

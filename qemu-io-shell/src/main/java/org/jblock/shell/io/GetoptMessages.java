package org.jblock.shell.io;

import java.util.List;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The complaint GNU getopt prints about a command's words: the first unknown option letter, or the
 * option missing its argument. Like getopt, every word that starts with {@code -} is an option
 * ({@code -1} too), up to {@code --}.
 */
final class GetoptMessages {
    private static final String UNKNOWN = "invalid arguments";

    private GetoptMessages() {
    }

    /**
     * @return getopt's complaint about a command's words (short options only), or null when every
     *         option in them is known
     */
    static String problem(CommandSpec spec, List<String> words) {
        String found = describe(spec, words, false);
        return found.equals(UNKNOWN) ? null : found;
    }

    /**
     * @param longOptions whether {@code --name} words are long options (getopt_long, as the
     *                    program's own command line), or else clusters of short ones (getopt, as
     *                    the shell's commands, where {@code --x} is the unknown option {@code -})
     */
    static String describe(CommandSpec spec, List<String> words, boolean longOptions) {
        for (int w = 0; w < words.size(); w++) {
            String word = words.get(w);
            if (word.equals("--")) {
                break;
            }
            if (word.startsWith("--") && longOptions) {
                return "unrecognized option '" + word + "'";
            }
            if (!word.startsWith("-") || word.length() == 1) {
                continue;
            }
            for (int i = 1; i < word.length(); i++) {
                OptionSpec option = spec.findOption("-" + word.charAt(i));
                if (option == null) {
                    return "invalid option -- '" + word.charAt(i) + "'";
                }
                if (option.arity().max() > 0) {
                    if (i + 1 == word.length()) {
                        if (w + 1 == words.size()) {
                            return "option requires an argument -- '" + word.charAt(i) + "'";
                        }
                        w++;
                    }
                    break;
                }
            }
        }
        return UNKNOWN;
    }
}

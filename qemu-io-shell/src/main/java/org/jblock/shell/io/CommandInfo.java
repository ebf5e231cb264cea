package org.jblock.shell.io;

import java.util.function.Supplier;

/**
 * A shell command as qemu-io's command table describes it.
 *
 * @param name      the command's name
 * @param alias     a short name, or null
 * @param args      the argument synopsis shown by {@code help} and usage lines, or null when it takes none
 * @param oneline   the one-line description
 * @param argMin    the fewest words after the name
 * @param argMax    the most words after the name, or -1 for no limit
 * @param needsFile whether it needs an open image
 * @param writes    whether it needs a writable image
 * @param factory   makes a fresh command object for one run
 */
record CommandInfo(String name, String alias, String args, String oneline, int argMin, int argMax,
                   boolean needsFile, boolean writes, Supplier<IoCommand> factory) {

    /** @return qemu-io's {@code "name args -- oneline"} line for {@code shownName} */
    String synopsis(String shownName) {
        return shownName + " " + (args == null ? "" : args + " ") + "-- " + oneline;
    }

    /** @return the usage line printed after a bad flag */
    String usage() {
        return name + " " + args + " -- " + oneline;
    }

    boolean answersTo(String word) {
        return name.equals(word) || word.equals(alias);
    }
}

package org.jblock.shell.io;

import java.util.regex.Pattern;

/**
 * What a run printed and how it ended, filtered as QEMU's test suite filters qemu-io output
 * ({@code _filter_qemu_io}: timing numbers, prompts, carriage returns) plus three filters of our
 * own: the machine-readable {@code -C} line's timing fields, the test folder, and the program name
 * (so qemu-io's transcript reads as jblock-io's).
 *
 * @param stdout   filtered standard output
 * @param stderr   filtered standard error
 * @param exitCode the exit status
 */
record Transcript(String stdout, String stderr, int exitCode) {
    private static final Pattern TIMING = Pattern.compile(
            "[0-9]* ops; [0-9/:. sec]* \\([0-9/.inf]* [EPTGMKiBbytes]*/sec and [0-9/.inf]* ops/sec\\)");
    private static final Pattern CSV = Pattern.compile(
            "(?m)^([0-9]+),([0-9]+),[0-9]+:[0-9]{2}:[0-9]{2}\\.[0-9]{2},[0-9.inf]+,[0-9.inf]+$");
    private static final String STDOUT = "--- stdout\n";
    private static final String STDERR = "--- stderr\n";
    private static final String EXIT = "--- exit ";

    static Transcript filtered(String stdout, String stderr, int exitCode, String testDir) {
        return new Transcript(filter(stdout, testDir), filter(stderr, testDir), exitCode);
    }

    static String filter(String text, String testDir) {
        String s = text.replace("\r", "").replace("qemu-io> ", "").replace(PipedLoop.PROMPT, "");
        s = TIMING.matcher(s).replaceAll("X ops; XX:XX:XX.X (XXX YYY/sec and XXX ops/sec)");
        s = CSV.matcher(s).replaceAll("$1,$2,TIME,RATE,OPS");
        s = s.replace(testDir + "/", "TEST_DIR/").replace(testDir, "TEST_DIR");
        return s.replace("qemu-io", IoShell.PROGRAM);
    }

    /** @return the transcript as stored in {@code transcripts/expected/NAME.txt} */
    String serialized() {
        return STDOUT + stdout + (stdout.endsWith("\n") || stdout.isEmpty() ? "" : "\n")
                + STDERR + stderr + (stderr.endsWith("\n") || stderr.isEmpty() ? "" : "\n")
                + EXIT + exitCode + "\n";
    }

    static Transcript parse(String stored) {
        int out = stored.indexOf(STDOUT);
        int err = stored.indexOf(STDERR);
        int exit = stored.lastIndexOf(EXIT);
        if (out != 0 || err < 0 || exit < 0) {
            throw new IllegalArgumentException("not a stored transcript");
        }
        return new Transcript(stored.substring(STDOUT.length(), err), stored.substring(err + STDERR.length(), exit),
                Integer.parseInt(stored.substring(exit + EXIT.length()).trim()));
    }

    /** @return this transcript with a missing final newline added to each stream, as {@link #serialized} stores it */
    Transcript normalized() {
        return parse(serialized());
    }
}

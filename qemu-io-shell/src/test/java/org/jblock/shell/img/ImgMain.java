package org.jblock.shell.img;

import java.io.PrintWriter;

/** jblock-img with the test driver, as a process of its own (for signals). */
final class ImgMain {
    private ImgMain() {
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        // On a terminal (a test's pseudo-terminal) as the tool is there: progress bars drawn through JLine.
        System.exit(JblockImg.commandLine(Img.registry(), System.console() != null, out, err).execute(args));
    }
}

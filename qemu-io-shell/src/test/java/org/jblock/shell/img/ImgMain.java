package org.jblock.shell.img;

import java.io.PrintWriter;

/** jblock-img with the test driver, as a process of its own (for signals). */
final class ImgMain {
    private ImgMain() {
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        System.exit(JblockImg.commandLine(Img.registry(), false, out, err).execute(args));
    }
}

package org.jblock.shell.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One golden-transcript case: an image to make, the command line to run on it (with {@code IMG}
 * standing for the image's path and {@code DIR} for its folder) and optional stdin.
 *
 * <p>Cases are listed in {@code transcripts/cases.txt}, one a line:
 * {@code name | image | arguments [| stdin with \n and \r for newlines and returns]}. An image is {@code raw:SIZE},
 * {@code vpc:SIZE} (dynamic VHD), {@code vpcfixed:SIZE}, or {@code sample:FILE.bz2}: a VHD from the
 * shared sample images (then {@code size} holds the file name). Arguments split on spaces; single
 * quotes keep a command with its spaces together.
 */
record TranscriptCase(String name, String format, String subformat, String size, List<String> args, String stdin) {
    /** The subformat of a case whose image is a shared sample; its {@code size} is the sample's file name. */
    static final String SAMPLE = "sample";

    boolean usesSample() {
        return SAMPLE.equals(subformat);
    }

    static List<TranscriptCase> load() throws IOException {
        List<TranscriptCase> cases = new ArrayList<>();
        try (InputStream in = TranscriptCase.class.getResourceAsStream("/transcripts/cases.txt")) {
            if (in == null) {
                throw new IOException("transcripts/cases.txt is missing from the test resources");
            }
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    cases.add(parse(line));
                }
            }
        }
        return cases;
    }

    static TranscriptCase parse(String line) {
        String[] parts = line.split("\\|", 4);
        if (parts.length < 3) {
            throw new IllegalArgumentException("a case needs name | image | arguments: " + line);
        }
        String[] image = parts[1].trim().split(":");
        String kind = image[0];
        String format = kind.startsWith("vpc") || kind.equals("sample") ? "vpc" : kind;
        String subformat = switch (kind) {
            case "vpcfixed" -> "fixed";
            case "vpc" -> "dynamic";
            case "sample" -> SAMPLE;
            default -> null;
        };
        String stdin = parts.length == 4 ? parts[3].trim().replace("\\n", "\n").replace("\\r", "\r") : null;
        return new TranscriptCase(parts[0].trim(), format, subformat, image[1], words(parts[2].trim()), stdin);
    }

    /** Splits on spaces, keeping single-quoted text (without the quotes) as one word. */
    static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        boolean inWord = false;
        for (char c : text.toCharArray()) {
            if (c == '\'') {
                quoted = !quoted;
                inWord = true;
            } else if (c == ' ' && !quoted) {
                if (inWord) {
                    words.add(current.toString());
                    current.setLength(0);
                    inWord = false;
                }
            } else {
                current.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            words.add(current.toString());
        }
        return words;
    }

    /** @return the image file's name: qemu-io and jblock-io each get one of this name in their own folder */
    String imageFileName() {
        return "t." + (format.equals("raw") ? "raw" : "vhd");
    }

    /** @return the arguments with {@code IMG} and {@code DIR} made concrete for {@code dir} */
    List<String> argsFor(java.nio.file.Path dir) {
        List<String> concrete = new ArrayList<>();
        for (String arg : args) {
            concrete.add(arg.replace("IMG", dir.resolve(imageFileName()).toString()).replace("DIR", dir.toString()));
        }
        return concrete;
    }

    @Override
    public String toString() {
        return name;
    }
}

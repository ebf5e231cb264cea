package org.jblock.shell.img;

import picocli.CommandLine.Option;

/** The options of commands that read one image and print about it: {@code -f}, {@code -U}, {@code --output}. */
final class ImageOptions {
    @Option(names = "-f", paramLabel = "fmt", description = "Format (probed when absent).")
    String format;

    @Option(names = "-U", description = "Open without taking a lock.")
    boolean forceShare;

    @Option(names = "--output", paramLabel = "human|json", defaultValue = "human",
            converter = OutputFormat.Converter.class, description = "human (default) or json.")
    OutputFormat output;

    boolean json() {
        return output == OutputFormat.JSON;
    }
}

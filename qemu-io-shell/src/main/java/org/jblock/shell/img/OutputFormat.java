package org.jblock.shell.img;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code --output=human|json}. */
enum OutputFormat {
    HUMAN, JSON;

    /** Parses the option value with qemu-img's message for anything else. */
    static final class Converter implements ITypeConverter<OutputFormat> {
        @Override
        public OutputFormat convert(String value) {
            switch (value) {
                case "human":
                    return HUMAN;
                case "json":
                    return JSON;
                default:
                    throw new TypeConversionException("--output must be used with human or json as argument.");
            }
        }
    }
}

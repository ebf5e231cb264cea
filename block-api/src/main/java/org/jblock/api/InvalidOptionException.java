package org.jblock.api;

/**
 * An option that does not parse, is not known to the driver, or has a value outside what it
 * accepts. The message names the option and the accepted values.
 */
public class InvalidOptionException extends BlockException {
    private static final long serialVersionUID = 1L;

    public InvalidOptionException(String message) {
        super(message);
    }
}

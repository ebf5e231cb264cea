package org.jblock.registry;

/**
 * A driver the registry found but did not register: its provider failed to load or start, its
 * name was taken or reserved, or it is not a valid name.
 *
 * @param provider the provider's jar file, else its class name (or what the service lookup named)
 * @param message  what went wrong, for a person
 * @param cause    the failure behind it, or null when the registry refused the driver itself
 */
public record DriverProblem(String provider, String message, Throwable cause) {

    @Override
    public String toString() {
        return provider + ": " + message;
    }
}

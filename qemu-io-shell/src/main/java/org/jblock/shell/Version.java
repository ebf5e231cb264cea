package org.jblock.shell;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * jblock's version, as the build wrote it into {@code version.properties}: one number for every
 * tool's {@code -V}/{@code --version} and for the man pages.
 */
public final class Version {
    private static final String UNKNOWN = "(development build)";

    private Version() {
    }

    /** @return the version of this build, e.g. {@code 0.1.0} */
    public static String number() {
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                Properties properties = new Properties();
                properties.load(in);
                String version = properties.getProperty("version", "");
                if (!version.isEmpty() && !version.startsWith("${")) {
                    return version;
                }
            }
        } catch (IOException e) {
            // An unreadable version is no reason to fail -V.
        }
        return UNKNOWN;
    }

    /** @return the line {@code -V} prints, e.g. {@code jblock-img version 0.1.0} */
    public static String line(String program) {
        return program + " version " + number();
    }
}

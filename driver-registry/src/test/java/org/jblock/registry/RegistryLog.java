package org.jblock.registry;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Collects what the registry logs during a test (its System.Logger goes to java.util.logging here),
 * and keeps it out of the build's output.
 */
final class RegistryLog implements BeforeEachCallback, AfterEachCallback {
    private static final Logger LOGGER = Logger.getLogger(DriverRegistry.class.getName());

    private final List<LogRecord> records = new ArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            synchronized (records) {
                records.add(record);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @Override
    public void beforeEach(ExtensionContext context) {
        LOGGER.addHandler(capture);
        LOGGER.setUseParentHandlers(false);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        LOGGER.removeHandler(capture);
        LOGGER.setUseParentHandlers(true);
    }

    /** @return what was logged at WARNING, as "message" or "message: cause" lines */
    List<String> warnings() {
        List<String> warnings = new ArrayList<>();
        synchronized (records) {
            for (LogRecord record : records) {
                if (record.getLevel() == java.util.logging.Level.WARNING) {
                    warnings.add(record.getMessage() + (record.getThrown() == null ? "" : ": " + record.getThrown()));
                }
            }
        }
        return warnings;
    }
}

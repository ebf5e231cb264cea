package org.jblock.registry;

import java.util.List;

import org.jblock.api.OptionSpec;

/**
 * A registered driver as listings show it.
 *
 * @param name          the format name ({@code -f name})
 * @param description   one line saying what the format is
 * @param builtIn       whether it is one of jblock's own drivers (see {@link DriverRegistry})
 * @param openOptions   the options it accepts when opening
 * @param createOptions the options it accepts when creating ({@code size} not included)
 * @param supportsBacking whether its images may have a backing file ({@code create -b})
 */
public record DriverInfo(String name, String description, boolean builtIn, List<OptionSpec<?>> openOptions,
                         List<OptionSpec<?>> createOptions, boolean supportsBacking) {

    public DriverInfo {
        openOptions = List.copyOf(openOptions);
        createOptions = List.copyOf(createOptions);
    }
}

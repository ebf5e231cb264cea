package org.jblock.api.spi;

import java.util.Objects;

import org.jblock.api.BlockImage;
import org.jblock.api.Options;
import org.jblock.api.UserObjects;

/**
 * What {@link BlockFilter#open} is asked to put a filter over.
 *
 * @param child    the image below, open; the filter's image owns it once open returns
 * @param options  values of the filter's {@link BlockFilter#openOptions()}, already checked
 * @param readOnly whether the filter's image must refuse writes (the child then refuses them too)
 * @param objects  the objects the user created ({@code --object}), which options name by id
 */
public record FilterRequest(BlockImage child, Options options, boolean readOnly, UserObjects objects) {

    public FilterRequest {
        Objects.requireNonNull(child, "child");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(objects, "objects");
    }
}

package org.jblock.registry;

import java.io.IOException;
import java.util.List;

import org.jblock.api.BlockImage;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.OptionSpec;
import org.jblock.api.layer.Throttle;
import org.jblock.api.spi.BlockFilter;
import org.jblock.api.spi.FilterRequest;

/**
 * QEMU's {@code throttle} filter ({@code driver=throttle,throttle-group=ID,file.driver=...}): the
 * image below, limited by the {@code throttle-group} object {@code ID} ({@code --object}); see
 * {@link Throttle}.
 */
final class ThrottleFilter implements BlockFilter {
    private static final OptionSpec<String> GROUP = OptionSpec.string("throttle-group", null,
            "The id of the throttle-group object whose limits apply");

    @Override
    public String name() {
        return "throttle";
    }

    @Override
    public String description() {
        return "I/O limits shared by the images of a throttle group";
    }

    @Override
    public String child() {
        return "file";
    }

    @Override
    public List<OptionSpec<?>> openOptions() {
        return List.of(GROUP);
    }

    @Override
    public BlockImage open(FilterRequest request) throws IOException {
        String group = request.options().get(GROUP);
        if (group == null) {
            throw new InvalidOptionException("Parameter 'throttle-group' is missing");
        }
        return new Throttle(request.child(), request.objects().throttleGroup(group));
    }
}

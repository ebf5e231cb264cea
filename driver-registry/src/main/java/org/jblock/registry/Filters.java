package org.jblock.registry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

import org.jblock.api.spi.BlockFilter;

/**
 * The filters of the registry ({@link BlockFilter}: nodes above an image): the two that are layers
 * of the API ({@code copy-on-read}, {@code throttle}) and those found by {@link ServiceLoader}
 * ({@code blkdebug} above a format), isolated as drivers are. A filter may share its name with a
 * protocol (blkdebug is both), never with a format.
 */
final class Filters {
    private static final Pattern VALID_NAME = Pattern.compile("[a-z][a-z0-9_-]*");

    private final Map<String, BlockFilter> byName;
    private final List<DriverProblem> problems;

    private Filters(Registration registration) {
        this.byName = Map.copyOf(registration.byName);
        this.problems = List.copyOf(registration.problems);
    }

    /** The built-in filters and those {@code loader} finds, except those whose names clash with {@code formats}. */
    static Filters load(ServiceLoader<BlockFilter> loader, Set<String> formats) {
        Registration registration = builtIn(formats);
        Discovery.load(loader, "filter", registration);
        return new Filters(registration);
    }

    /** The built-in filters and exactly these. */
    static Filters of(Collection<? extends BlockFilter> filters, Set<String> formats) {
        Registration registration = builtIn(formats);
        filters.forEach(registration::add);
        return new Filters(registration);
    }

    private static Registration builtIn(Set<String> formats) {
        Registration registration = new Registration(formats);
        registration.add(new CopyOnReadFilter());
        registration.add(new ThrottleFilter());
        return registration;
    }

    private static final class Registration implements Discovery.Sink<BlockFilter> {
        final Set<String> formats;
        final Map<String, BlockFilter> byName = new TreeMap<>();
        final List<DriverProblem> problems = new ArrayList<>();

        Registration(Set<String> formats) {
            this.formats = formats;
        }

        @Override
        public void add(BlockFilter filter) {
            String provider = Discovery.origin(filter.getClass());
            String name;
            try {
                name = filter.name();
                filter.child();
            } catch (RuntimeException e) {
                problem(provider, "the filter's name() or child() failed: " + e, e);
                return;
            }
            if (name == null || !VALID_NAME.matcher(name).matches()) {
                problem(provider, "'" + name + "' is not a filter name (lower-case letters, digits, '-' and '_',"
                        + " starting with a letter); the filter is not registered", null);
                return;
            }
            if (formats.contains(name) || byName.containsKey(name)) {
                problem(provider, "the name '" + name + "' is already taken by a "
                        + (formats.contains(name) ? "format" : "filter") + "; the filter is not registered", null);
                return;
            }
            byName.put(name, filter);
        }

        @Override
        public void problem(String provider, String message, Throwable cause) {
            Discovery.problem(problems, "Filter", provider, message, cause);
        }
    }

    /** @return the filter of that name, or null */
    BlockFilter get(String name) {
        return name == null ? null : byName.get(name);
    }

    /** @return the filters, sorted by name */
    Collection<BlockFilter> all() {
        return new TreeMap<>(byName).values();
    }

    List<DriverProblem> problems() {
        return problems;
    }
}

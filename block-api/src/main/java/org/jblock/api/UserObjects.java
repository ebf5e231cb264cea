package org.jblock.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;


/**
 * The objects a user creates beside the images, by QEMU's {@code --object TYPE,id=ID,KEY=VALUE,...}
 * (qemu-img, qemu-io): images' options name them by id ({@code throttle-group=ID}). The one type
 * jblock knows is {@code throttle-group} ({@link ThrottleGroup}). Immutable once made; the objects
 * themselves are shared by every image that names them.
 */
public final class UserObjects {
    /** No objects. */
    public static final UserObjects NONE = new UserObjects(Map.of());

    private static final String THROTTLE_GROUP = "throttle-group";

    private final Map<String, Object> byId;

    private UserObjects(Map<String, Object> byId) {
        this.byId = Collections.unmodifiableMap(byId);
    }

    /**
     * Creates the objects of QEMU's {@code --object} texts: the type first (or {@code qom-type=}),
     * then {@code id=} and the type's keys ({@code ,,} for a comma in a value).
     *
     * @param ticker the clock throttle groups wait by
     * @throws InvalidOptionException with QEMU's message for an unknown type, a missing or repeated id,
     *                                or a key the type refuses
     */
    public static UserObjects parse(List<String> definitions, ThrottleGroup.Ticker ticker) throws InvalidOptionException {
        Map<String, Object> byId = new LinkedHashMap<>();
        for (String text : definitions) {
            Map<String, String> properties = new LinkedHashMap<>();
            String type = null;
            for (String item : Options.items(text)) {
                int eq = item.indexOf('=');
                if (eq < 0 && type == null && properties.isEmpty()) {
                    type = item;
                } else if (eq <= 0) {
                    throw new InvalidOptionException("Invalid parameter '" + item + "'");
                } else {
                    properties.put(item.substring(0, eq), item.substring(eq + 1));
                }
            }
            String qomType = properties.remove("qom-type");
            type = type != null ? type : qomType;
            if (type == null) {
                throw new InvalidOptionException("Parameter 'qom-type' is missing");
            }
            String id = properties.remove("id");
            if (id == null) {
                throw new InvalidOptionException("Parameter 'id' is missing");
            }
            if (byId.containsKey(id)) {
                throw new InvalidOptionException("attempt to add duplicate property '" + id
                        + "' to object (type 'container')");
            }
            if (!type.equals(THROTTLE_GROUP)) {
                throw new InvalidOptionException("Invalid object type '" + type + "'");
            }
            byId.put(id, ThrottleGroup.of(id, properties, ticker));
        }
        return new UserObjects(byId);
    }

    /**
     * @return the throttle group {@code id}
     * @throws InvalidOptionException when there is none by that id
     */
    public ThrottleGroup throttleGroup(String id) throws InvalidOptionException {
        Object object = byId.get(id);
        if (!(object instanceof ThrottleGroup)) {
            throw new InvalidOptionException("Throttle group '" + id + "' does not exist");
        }
        return (ThrottleGroup) object;
    }

    /** @return whether no objects were created */
    public boolean isEmpty() {
        return byId.isEmpty();
    }
}

package org.jblock.api;

/** What {@link BlockImage#check} may change. */
public enum CheckMode {
    /** Report only; the image is not written. */
    REPORT,
    /** Repair leaks (space no metadata refers to) only. */
    REPAIR_LEAKS,
    /** Repair everything that can be repaired without losing data that is still reachable. */
    REPAIR_ALL;

    /** @return whether this mode writes to the image */
    public boolean repairs() {
        return this != REPORT;
    }
}

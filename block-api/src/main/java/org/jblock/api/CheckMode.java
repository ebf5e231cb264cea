package org.jblock.api;

/** What {@link BlockImage#check} may change. */
public enum CheckMode {
    /** Report only; the image is not written. */
    REPORT,
    /** Repair leaks (space no metadata refers to) only. */
    REPAIR_LEAKS,
    /** Repair everything that can be repaired without losing data that is still reachable. */
    REPAIR_ALL,
    /** Plan the repair {@link #REPAIR_LEAKS} would make and report it; the image is not written. */
    DRY_RUN_LEAKS,
    /** Plan the repair {@link #REPAIR_ALL} would make and report it; the image is not written. */
    DRY_RUN_ALL;

    /** @return whether this mode writes to the image */
    public boolean repairs() {
        return this == REPAIR_LEAKS || this == REPAIR_ALL;
    }

    /** @return whether this mode computes a repair plan (and reports it in {@link CheckReport#repairPlan()}) */
    public boolean plans() {
        return this != REPORT;
    }

    /** @return whether the plan may go beyond leaks */
    public boolean repairsCorruptions() {
        return this == REPAIR_ALL || this == DRY_RUN_ALL;
    }
}

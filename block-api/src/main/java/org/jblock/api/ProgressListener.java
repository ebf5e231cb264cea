package org.jblock.api;

/**
 * Hears how far a long operation (a check, a copy) has come, so a tool can draw a progress bar.
 * Called from the thread doing the work, often: keep it cheap.
 */
@FunctionalInterface
public interface ProgressListener {

    /** Hears nothing. */
    ProgressListener NONE = (done, total) -> { };

    /**
     * @param done  units of work done so far (never more than {@code total})
     * @param total units of work in all, as far as known now (it may grow as the work finds more)
     */
    void progress(long done, long total);
}

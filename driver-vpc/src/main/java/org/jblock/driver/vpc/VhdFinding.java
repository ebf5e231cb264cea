package org.jblock.driver.vpc;

import org.jblock.api.CheckReport.Severity;

/**
 * One thing {@link VhdScanner} found wrong or unusual in an image's metadata.
 *
 * @param severity  corruption, leak or warning (as {@code check} reports it)
 * @param effect    what it means for {@code open}
 * @param repair    the repair that deals with it, or {@link Repair#NONE}
 * @param structure the structure, e.g. "VHD footer"
 * @param field     the field, or null for the structure as a whole
 * @param offset    the byte offset in the file it concerns, or -1
 * @param message   what is wrong, for a person (QEMU's wording where it has one)
 * @param expected  what a valid image holds there, or null
 * @param actual    what this image holds, or null
 * @param entry     the BAT entry concerned, or -1
 */
record VhdFinding(Severity severity, Effect effect, Repair repair, String structure, String field, long offset,
                  String message, String expected, String actual, int entry) {

    /** What a finding means for {@code open}. */
    enum Effect {
        /** Reads and writes are safe: open goes on (check still reports it). */
        NONE,
        /** I/O would be unsafe: open refuses the image as corrupt. */
        REFUSE,
        /** A valid image jblock does not handle: open refuses it as unsupported. */
        UNSUPPORTED
    }

    /** The repair a finding asks for (see {@link RepairPlan}). */
    enum Repair {
        NONE,
        /** Write the footer in use at the end of the file (in the footer's slot or after the last block). */
        FOOTER,
        /** Write the footer in use over the copy at offset 0. */
        FOOTER_COPY,
        /** Rewrite the dynamic header's checksum. */
        HEADER_CHECKSUM,
        /** Set a BAT entry to unallocated. */
        DROP_ENTRY,
        /** Move the footer back to the end of the last block and trim the file. */
        TRIM_LEAK
    }

    static VhdFinding corruption(Effect effect, Repair repair, String structure, String field, long offset,
                                 String message, String expected, String actual) {
        return new VhdFinding(Severity.CORRUPTION, effect, repair, structure, field, offset, message, expected,
                actual, -1);
    }

    static VhdFinding warning(String structure, String field, long offset, String message) {
        return new VhdFinding(Severity.WARNING, Effect.NONE, Repair.NONE, structure, field, offset, message, null,
                null, -1);
    }

    VhdFinding forEntry(int index) {
        return new VhdFinding(severity, effect, repair, structure, field, offset, message, expected, actual, index);
    }

    /** @return whether open refuses the image because of it */
    boolean blocksOpen() {
        return effect != Effect.NONE;
    }
}

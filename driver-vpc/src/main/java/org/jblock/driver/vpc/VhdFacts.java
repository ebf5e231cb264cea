package org.jblock.driver.vpc;

import java.util.List;

/**
 * What open learned about an image's identity, shared by the fixed and the dynamic image.
 *
 * @param footer           the footer in use
 * @param footerOffset     where that footer sits at the end of the file, or -1 when the trailing footer
 *                         was unusable and the copy at offset 0 is in use
 * @param footerSource     how the footer was chosen, for info and check
 * @param virtualSize      the virtual size in bytes
 * @param sizeSource       how the virtual size was computed, for info
 * @param sizeMode         how the virtual size is computed (for the scans of check)
 * @param salvaged         whether the image was opened with salvage, despite damage (read-only)
 * @param notes            irregularities open tolerated; with salvage, the ranges read as zeros
 */
record VhdFacts(VhdFooter footer, long footerOffset, String footerSource, long virtualSize, String sizeSource,
                VhdScanner.SizeMode sizeMode, boolean salvaged, List<String> notes) {

    VhdFacts {
        notes = List.copyOf(notes);
    }

    static VhdFacts of(VhdScan scan, boolean salvaged, List<String> notes) {
        return new VhdFacts(scan.footer, scan.footerAtEnd() ? scan.trailingAt : -1, scan.footerSource,
                scan.virtualSize, scan.sizeSource, scan.sizeMode, salvaged, notes);
    }

    /** @return these facts with the footer (the same or a new one) now at {@code newFooterOffset} */
    VhdFacts withFooter(VhdFooter newFooter, long newFooterOffset) {
        return new VhdFacts(newFooter, newFooterOffset, footerSource, virtualSize, sizeSource, sizeMode, salvaged, notes);
    }

    /** @return these facts with {@code more} notes */
    VhdFacts withNotes(List<String> more) {
        List<String> all = new java.util.ArrayList<>(notes);
        all.addAll(more);
        return new VhdFacts(footer, footerOffset, footerSource, virtualSize, sizeSource, sizeMode, salvaged, all);
    }

    /** @return these facts for a new footer at {@code footerOffset} and a new size (resize) */
    VhdFacts resized(VhdFooter newFooter, long newFooterOffset, long newSize) {
        return new VhdFacts(newFooter, newFooterOffset, footerSource, newSize, "resized to current-size", sizeMode,
                salvaged, notes);
    }
}

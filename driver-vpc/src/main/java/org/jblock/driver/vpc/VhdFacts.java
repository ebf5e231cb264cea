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
 * @param checksumsIgnored whether a bad checksum was accepted (the image is then read-only)
 * @param notes            irregularities open tolerated, for check
 */
record VhdFacts(VhdFooter footer, long footerOffset, String footerSource, long virtualSize, String sizeSource,
                boolean checksumsIgnored, List<String> notes) {

    VhdFacts {
        notes = List.copyOf(notes);
    }
}

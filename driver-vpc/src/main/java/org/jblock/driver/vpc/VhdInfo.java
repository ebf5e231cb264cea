package org.jblock.driver.vpc;

import java.util.Map;

/** The format-specific fields of {@code info} that fixed and dynamic images share. */
final class VhdInfo {
    private VhdInfo() {
    }

    static void addFooterFields(Map<String, Object> fields, VhdFacts facts) {
        VhdFooter footer = facts.footer();
        fields.put("subformat", footer.diskTypeName());
        fields.put("creator-app", footer.creatorAppText());
        fields.put("creator-version", footer.creatorVersionText());
        fields.put("creator-os", footer.creatorOsText());
        fields.put("uuid", footer.uniqueId().toString());
        fields.put("timestamp", footer.creationTime().toString());
        fields.put("geometry", footer.geometry().toString());
        fields.put("size-source", facts.sizeSource());
        fields.put("current-size", footer.currentSize());
        fields.put("original-size", footer.originalSize());
        fields.put("footer-source", facts.footerSource());
        if (facts.salvaged()) {
            fields.put("salvaged", true);
            fields.put("salvage-warnings", facts.notes());
        }
    }
}

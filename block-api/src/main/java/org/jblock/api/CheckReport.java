package org.jblock.api;

import java.util.ArrayList;
import java.util.List;

/**
 * The outcome of {@link BlockImage#check}: every finding, and what was repaired.
 *
 * @param findings          what the check found, in the order found; repaired ones are marked
 * @param imageEndOffset    the end of the image's used space in its storage, or -1 when unknown
 * @param totalClusters     allocation units the virtual disk has (0 when the format has none)
 * @param allocatedClusters allocation units in use
 * @param fragmentedClusters allocation units not stored right after the previous one
 * @param repairPlan        what the repair wrote, in order, or (in a dry run) would write, and why a
 *                          repair left something unchanged; empty when no repair was asked for
 */
public record CheckReport(List<Finding> findings, long imageEndOffset, long totalClusters,
                          long allocatedClusters, long fragmentedClusters, List<String> repairPlan) {

    /** How serious a finding is. */
    public enum Severity {
        /** Metadata that is wrong: data may be lost or misread. */
        CORRUPTION,
        /** Space in the storage that nothing refers to: wasted, harmless. */
        LEAK,
        /** Not as the specification wants, but readable without risk. */
        WARNING
    }

    /**
     * One thing the check found.
     *
     * @param severity how serious it is
     * @param message  what is wrong, for a person
     * @param offset   the byte offset in the storage it concerns, or -1
     * @param repaired whether the check repaired it
     */
    public record Finding(Severity severity, String message, long offset, boolean repaired) {
    }

    public CheckReport {
        findings = List.copyOf(findings);
        repairPlan = List.copyOf(repairPlan);
    }

    /** @return how many findings of that severity were not repaired */
    public long count(Severity severity) {
        return findings.stream().filter(f -> f.severity() == severity && !f.repaired()).count();
    }

    /** @return how many findings of that severity were repaired */
    public long repaired(Severity severity) {
        return findings.stream().filter(f -> f.severity() == severity && f.repaired()).count();
    }

    /** @return whether nothing is left to repair (warnings do not count) */
    public boolean isClean() {
        return count(Severity.CORRUPTION) == 0 && count(Severity.LEAK) == 0;
    }

    /** Collects findings while a check runs. */
    public static final class Builder {
        private final List<Finding> findings = new ArrayList<>();
        private long imageEndOffset = -1;
        private long totalClusters;
        private long allocatedClusters;
        private long fragmentedClusters;
        private final List<String> repairPlan = new ArrayList<>();

        public Builder() {
        }

        public Builder add(Severity severity, String message, long offset, boolean repaired) {
            findings.add(new Finding(severity, message, offset, repaired));
            return this;
        }

        public Builder imageEndOffset(long value) {
            imageEndOffset = value;
            return this;
        }

        public Builder clusters(long total, long allocated, long fragmented) {
            totalClusters = total;
            allocatedClusters = allocated;
            fragmentedClusters = fragmented;
            return this;
        }

        /** Adds a line of the repair plan: a write made (or to be made), or why something is left. */
        public Builder plan(String line) {
            repairPlan.add(line);
            return this;
        }

        public CheckReport build() {
            return new CheckReport(findings, imageEndOffset, totalClusters, allocatedClusters, fragmentedClusters,
                    repairPlan);
        }
    }
}

package org.jblock.driver.vpc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.jblock.api.BlockFile;
import org.jblock.api.CheckReport.Severity;
import org.jblock.driver.vpc.VhdFinding.Repair;

/**
 * A repair as a list of writes, computed from a {@link VhdScan} before anything is written, so that
 * it can be shown (and, in a dry run, only shown), then applied in order.
 *
 * <h2>What a repair may do</h2>
 * <ul>
 *   <li>Only structures proven to be what they should be, or proven garbage, are written over: the
 *       footer's slot at the end when it holds a footer (its cookie), sector 0 of a dynamic image
 *       (the footer copy, by the format), the dynamic header when only its checksum is wrong, the
 *       BAT entries proven wrong, and sectors past every block and structure still in use.</li>
 *   <li>The file never ends before the end of the last block kept: a footer that is missing goes
 *       after the last block and the metadata, appended after whatever the file holds when entries
 *       were dropped (their data might lie there); space at the end is trimmed only when it is a
 *       plain leak (no entry is wrong).</li>
 *   <li>An entry is dropped only when proven wrong ({@link VhdScanner}: outside the file, into the
 *       metadata, off the blocks' grid over another block); two overlapping blocks with no evidence
 *       against either are both left as they are.</li>
 *   <li>When the evidence is not enough the image is left unchanged, and the plan says why: no
 *       footer anywhere, a dynamic header that cannot be used, an unknown disk type, a table that
 *       runs over the footer, or a table most of whose entries point where no block can be (the
 *       table, or its offset, is then damaged as a whole, and dropping every entry would only lose
 *       the way back to the data). Entries past the end of the file on the blocks' grid are what a
 *       truncation took away, and do not count as such signs.</li>
 *   <li>Of a footer at the end and a copy at offset 0 that disagree, the one consistent with the
 *       header and the table was chosen by the scan; the other is rewritten from it.</li>
 * </ul>
 *
 * <h2>Order, and what a crash leaves</h2>
 * BAT entries are dropped first (one write a table sector), then the header's checksum, then the
 * footer at the end (the new footer is written before anything is trimmed or zeroed, so the file
 * always ends with a valid footer), then the copy at offset 0; the file is flushed after each step.
 * Every write makes one structure right and none worse, so a crash between any two leaves an image
 * no worse than before, which the same repair then finishes.
 */
final class RepairPlan {
    /** One write (or, with no bytes, a truncation) and what it is for. */
    record Step(String description, long offset, byte[] bytes, long truncateTo) {
        static Step write(String description, long offset, byte[] bytes) {
            return new Step(description, offset, bytes, -1);
        }

        static Step truncate(String description, long size) {
            return new Step(description, -1, null, size);
        }
    }

    private final List<Step> steps = new ArrayList<>();
    private final List<String> leftAlone = new ArrayList<>();
    private final Set<Repair> covered = EnumSet.noneOf(Repair.class);
    private final BitSet droppedEntries = new BitSet();
    private long newEnd = -1;

    private RepairPlan() {
    }

    List<Step> steps() {
        return steps;
    }

    /** @return why parts of the image are left as they are */
    List<String> leftAlone() {
        return leftAlone;
    }

    /** @return the end of the file after the repair, or -1 when it does not change */
    long newEnd() {
        return newEnd;
    }

    /** @return whether applying the plan deals with {@code finding} */
    boolean covers(VhdFinding finding) {
        if (!covered.contains(finding.repair())) {
            return false;
        }
        return finding.repair() != Repair.DROP_ENTRY || finding.entry() < 0 || droppedEntries.get(finding.entry());
    }

    /**
     * @param corruptions whether to repair corruptions too, or leaks only (and leaks only on an image
     *                    with no corruption)
     */
    static RepairPlan compute(BlockFile file, VhdScan scan, boolean corruptions) throws IOException {
        RepairPlan plan = new RepairPlan();
        plan.plan(file, scan, corruptions);
        return plan;
    }

    private void plan(BlockFile file, VhdScan scan, boolean corruptions) throws IOException {
        boolean corrupt = scan.count(Severity.CORRUPTION) > 0;
        if (!corruptions && corrupt) {
            if (scan.count(Severity.LEAK) > 0) {
                leave("leaks are not reclaimed while the image has corruptions ('-r all' repairs both)");
            }
            return;
        }
        if (!corrupt && scan.count(Severity.LEAK) == 0) {
            return;
        }
        if (scan.footer == null) {
            leave("there is no VHD footer at the end of the file or at offset 0: nothing tells what the image is,"
                    + " so it is left unchanged");
            return;
        }
        VhdFooter footer = scan.footer.hasValidChecksum() ? scan.footer : scan.footer.withChecksum();
        int type = footer.diskType();
        if (type == VhdFooter.TYPE_FIXED) {
            planFixed(scan, footer);
            return;
        }
        if (type != VhdFooter.TYPE_DYNAMIC && type != VhdFooter.TYPE_DIFFERENCING) {
            leave("the footer's disk type " + Integer.toUnsignedString(type) + " is unknown: no repair can tell what"
                    + " it should be, so the image is left unchanged (salvage=on reads it)");
            return;
        }
        if (scan.header == null) {
            VhdFinding why = scan.refusal();
            leave("the dynamic header cannot be used (" + (why == null ? "unreadable" : why.message()) + "):"
                    + " without it nothing tells where the blocks are, so the image is left unchanged");
            return;
        }
        if (scan.bat == null) {
            leave("the block allocation table cannot be read, so the image is left unchanged");
            return;
        }
        if (scan.trailingHasCookie() && scan.trailingAt < scan.tableAt + 4L * scan.bat.size()
                && scan.trailingAt + VhdFooter.SIZE > scan.tableAt) {
            leave("the block allocation table runs over the footer at " + scan.trailingAt + ": the table or the"
                    + " footer is misplaced and nothing tells which, so the image is left unchanged");
            return;
        }
        int bad = scan.badEntries.cardinality() - scan.cutAway.cardinality();
        int allocated = scan.bat.allocatedCount() - scan.cutAway.cardinality();
        if (bad >= 2 && bad > allocated - bad) {
            leave(bad + " of the " + allocated + " allocated BAT entries point where no block can be: the table (or"
                    + " the header's table offset) looks damaged as a whole, and dropping the entries would only"
                    + " lose the way back to the data, so the image is left unchanged (salvage=on reads what it can)");
            return;
        }
        for (int i = scan.conflicts.nextSetBit(0); i >= 0; i = scan.conflicts.nextSetBit(i + 1)) {
            leave("BAT entry " + i + " is left as it is: its block overlaps another one, and nothing tells which"
                    + " entry is wrong");
        }
        if (corruptions) {
            dropEntries(file, scan);
            if (!scan.header.hasValidChecksum()) {
                steps.add(Step.write("rewrite the dynamic header's checksum at " + scan.headerAt, scan.headerAt,
                        scan.header.withChecksum().toBytes()));
                covered.add(Repair.HEADER_CHECKSUM);
            }
        }
        planTrailingFooter(file, scan, footer, corruptions);
        if (corruptions && scan.copy != null && !scan.copy.equals(footer)) {
            steps.add(Step.write("write the footer copy at offset 0", 0, footer.toBytes()));
            covered.add(Repair.FOOTER_COPY);
        }
    }

    private void leave(String why) {
        leftAlone.add(why);
    }

    private void planFixed(VhdScan scan, VhdFooter footer) {
        if (scan.virtualSize > scan.footerReadAt) {
            leave("the file holds " + scan.footerReadAt + " bytes of a " + scan.virtualSize + "-byte fixed disk: the"
                    + " rest is lost; salvage=on reads what is there, so the image is left unchanged");
            return;
        }
        boolean cut = scan.footerReadAt + VhdFooter.SIZE > scan.fileSize;
        if (!scan.footer.hasValidChecksum() || cut) {
            steps.add(Step.write((cut ? "complete the footer cut short at " : "rewrite the footer's checksum at ")
                    + scan.footerReadAt, scan.footerReadAt, footer.toBytes()));
            covered.add(Repair.FOOTER);
        }
    }

    /** One write a table sector, with the entries proven wrong set to unallocated. */
    private void dropEntries(BlockFile file, VhdScan scan) throws IOException {
        if (scan.badEntries.isEmpty()) {
            return;
        }
        BlockAllocationTable bat = scan.bat;
        int perSector = VhdLayout.SECTOR / 4;
        BitSet bad = scan.badEntries;
        for (int i = bad.nextSetBit(0); i >= 0; ) {
            int sector = i / perSector;
            int from = sector * perSector;
            int to = Math.min(bat.size(), from + perSector);
            ByteBuffer out = ByteBuffer.allocate((to - from) * 4);
            List<Integer> dropped = new ArrayList<>();
            for (int e = from; e < to; e++) {
                boolean drop = bad.get(e);
                out.putInt(drop ? BlockAllocationTable.UNALLOCATED : bat.get(e));
                if (drop) {
                    dropped.add(e);
                    droppedEntries.set(e);
                }
            }
            steps.add(Step.write("set BAT entr" + (dropped.size() == 1 ? "y " : "ies ") + describe(dropped)
                    + " to unallocated", scan.tableAt + 4L * from, out.array()));
            i = bad.nextSetBit(to);
        }
        covered.add(Repair.DROP_ENTRY);
    }

    private static String describe(List<Integer> entries) {
        if (entries.size() <= 8) {
            return entries.toString().replaceAll("[\\[\\]]", "");
        }
        return entries.get(0) + ".." + entries.get(entries.size() - 1) + " (" + entries.size() + " entries)";
    }

    /**
     * The footer at the end: rewritten in its slot, moved past a block that runs over it, put back
     * after the last block when missing, or moved back over a leak at the end.
     */
    private void planTrailingFooter(BlockFile file, VhdScan scan, VhdFooter footer, boolean corruptions)
            throws IOException {
        byte[] bytes = footer.toBytes();
        long home = VhdLayout.roundUp(Math.max(scan.metadataEnd, scan.dataEnd), VhdLayout.SECTOR);
        boolean plainTail = scan.badEntries.isEmpty() && scan.conflicts.isEmpty();
        long fileSize = scan.fileSize;
        if (scan.trailingHasCookie()) {
            long slot = scan.trailingAt;
            boolean leak = slot > home && scan.findings.stream().anyMatch(f -> f.repair() == Repair.TRIM_LEAK);
            if (slot < home) {
                if (!corruptions) {
                    return;
                }
                steps.add(Step.write("write the footer at " + home + ", after block(s) running over the old one",
                        home, bytes));
                zeroOldFooterInsideBlocks(file, scan, slot);
                covered.add(Repair.FOOTER);
                newEnd = home + VhdFooter.SIZE;
            } else if (leak && plainTail) {
                steps.add(Step.write("write the footer at " + home + ", after the last block", home, bytes));
                steps.add(Step.truncate("trim the file to " + (home + VhdFooter.SIZE) + " bytes, giving back "
                        + (slot - home) + " leaked bytes", home + VhdFooter.SIZE));
                covered.add(Repair.TRIM_LEAK);
                covered.add(Repair.FOOTER);
                newEnd = home + VhdFooter.SIZE;
            } else {
                if (leak) {
                    leave("the " + (slot - home) + " bytes at " + home + " before the footer stay: BAT entries were"
                            + " wrong, and that space may hold the data of a block the table lost");
                }
                if (corruptions && (!footer.equals(scan.trailing) || slot + VhdFooter.SIZE > fileSize)) {
                    steps.add(Step.write("rewrite the footer at " + slot, slot, bytes));
                    covered.add(Repair.FOOTER);
                }
            }
            return;
        }
        if (!corruptions) {
            return;
        }
        // No footer at the end: put one back after everything in use, over the tail only when no
        // entry is wrong (else the tail may be a block the table lost, and the footer goes after it).
        long at = plainTail ? home : Math.max(home, VhdLayout.roundUp(fileSize, VhdLayout.SECTOR));
        steps.add(Step.write("write the footer at " + at + " (the end of the file had none)", at, bytes));
        if (plainTail && at + VhdFooter.SIZE < fileSize) {
            steps.add(Step.truncate("trim the file to " + (at + VhdFooter.SIZE) + " bytes (nothing uses the "
                    + (fileSize - at - VhdFooter.SIZE) + " bytes after the footer)", at + VhdFooter.SIZE));
        }
        newEnd = Math.max(at + VhdFooter.SIZE, plainTail ? 0 : fileSize);
        covered.add(Repair.FOOTER);
    }

    /**
     * A footer that a block ran over is now inside that block's data. Where the bitmap calls those
     * sectors unwritten, they must hold zeros (QEMU reads them regardless of the bitmap); where it
     * calls them written, they are the block's data as any reader sees it, and stay.
     */
    private void zeroOldFooterInsideBlocks(BlockFile file, VhdScan scan, long oldFooterAt) throws IOException {
        BlockAllocationTable bat = scan.bat;
        for (int i = 0; i < bat.size(); i++) {
            if (!scan.isKept(i)) {
                continue;
            }
            long start = scan.blockStart(i);
            long dataAt = start + scan.bitmapSize;
            long from = Math.max(oldFooterAt, dataAt);
            long to = Math.min(Math.min(oldFooterAt + VhdFooter.SIZE, start + scan.span), scan.fileSize);
            if (from >= to) {
                continue;
            }
            byte[] bits = new byte[scan.bitmapSize];
            file.readFully(ByteBuffer.wrap(bits), start);
            for (long sector = (from - dataAt) >>> VhdLayout.SECTOR_SHIFT; dataAt + sector * VhdLayout.SECTOR < to;
                 sector++) {
                if (!SectorBitmap.isSet(bits, (int) sector)) {
                    long at = dataAt + sector * VhdLayout.SECTOR;
                    steps.add(Step.write("zero sector " + sector + " of block " + i + " (unwritten, it held the old"
                            + " footer)", at, new byte[VhdLayout.SECTOR]));
                }
            }
        }
    }

    /** Applies the steps in order, flushing after each. */
    void apply(BlockFile file) throws IOException {
        for (Step step : steps) {
            if (step.bytes() == null) {
                file.truncate(step.truncateTo());
            } else {
                file.write(ByteBuffer.wrap(step.bytes()), step.offset());
            }
            file.flush();
        }
    }

    /** @return the plan as lines for a person: each write, then what is left alone and why */
    List<String> describe(boolean applied) {
        List<String> lines = new ArrayList<>();
        for (Step step : steps) {
            lines.add((applied ? "wrote: " : "would write: ") + step.description());
        }
        for (String why : leftAlone) {
            lines.add("left unchanged: " + why);
        }
        return lines;
    }
}

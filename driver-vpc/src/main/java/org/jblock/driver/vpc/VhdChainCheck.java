package org.jblock.driver.vpc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.CheckReport;
import org.jblock.api.CheckReport.Severity;

/**
 * What {@code check} adds for a differencing image: how it fits its parent and whether its parent
 * locators are sound. The image's own metadata is {@link VhdChecker}'s work.
 *
 * <ul>
 *   <li>the parent's UUID is not the one the child was made from (opened with
 *       {@code ignore_id_mismatch=on}): a corruption, the data read may be wrong;</li>
 *   <li>the parent is smaller than the child (the rest reads as zeros), or has another block size
 *       (legal, but no Microsoft tool makes such a chain): warnings;</li>
 *   <li>a locator whose data lies outside the file or is longer than its space, or with an unknown
 *       platform code: a warning (the parent is still found by the other names);</li>
 *   <li>a block whose bitmap is all ones while some of its sectors hold zeros where the parent has
 *       data: what a write through qemu-img or qemu-io 7.2 leaves (they set the whole bitmap), which
 *       hides the parent's data; a warning naming the block and the sectors, since nothing in the
 *       file tells those zeros from zeros a guest wrote.</li>
 * </ul>
 */
final class VhdChainCheck {
    private static final int SECTOR = VhdLayout.SECTOR;

    private VhdChainCheck() {
    }

    /** The image's parts the chain check looks at. */
    record Child(BlockFile file, DynamicHeader header, BlockAllocationTable bat, long virtualSize, int blockSize,
                 int bitmapSize, BlockImage parent, String parentName) {
    }

    static CheckReport addTo(CheckReport report, Child child) throws IOException {
        List<CheckReport.Finding> findings = new ArrayList<>(report.findings());
        List<CheckReport.Finding> more = new ArrayList<>();
        checkLocators(child, more);
        if (child.parent() == null) {
            more.add(new CheckReport.Finding(Severity.WARNING, "the backing file '" + child.parentName()
                    + "' is not open: how the image fits its parent is not checked", -1, false));
        } else {
            checkParent(child, more);
            checkHiddenParentData(child, more);
        }
        findings.addAll(more);
        return new CheckReport(findings, report.imageEndOffset(), report.totalClusters(), report.allocatedClusters(),
                report.fragmentedClusters(), report.repairPlan());
    }

    private static void checkParent(Child child, List<CheckReport.Finding> out) throws IOException {
        BlockImage parent = child.parent();
        Object uuid = parent.info().formatSpecific().get("uuid");
        String expected = child.header().parentUniqueId().toString();
        if (uuid != null && !expected.equals(uuid)) {
            out.add(new CheckReport.Finding(Severity.CORRUPTION, "the parent '" + parent.name() + "' has UUID " + uuid
                    + ", but the image was made from the parent with UUID " + expected + " (its data may be read"
                    + " wrongly)", -1, false));
        }
        if (parent.size() < child.virtualSize()) {
            out.add(new CheckReport.Finding(Severity.WARNING, "the parent '" + parent.name() + "' is " + parent.size()
                    + " bytes, smaller than the image's " + child.virtualSize() + ": the rest reads as zeros", -1, false));
        }
        long parentBlock = parent.info().clusterSize();
        if ("vpc".equals(parent.info().format()) && parentBlock > 0 && parentBlock != child.blockSize()) {
            out.add(new CheckReport.Finding(Severity.WARNING, "the parent '" + parent.name() + "' has blocks of "
                    + parentBlock + " bytes, the image of " + child.blockSize(), -1, false));
        }
    }

    private static void checkLocators(Child child, List<CheckReport.Finding> out) throws IOException {
        long fileSize = child.file().size();
        List<DynamicHeader.ParentLocator> locators = child.header().parentLocators();
        for (int i = 0; i < locators.size(); i++) {
            DynamicHeader.ParentLocator l = locators.get(i);
            int code = l.platformCode();
            if (code == 0) {
                continue;
            }
            String name = "parent locator " + i + " (" + VhdFooter.fourCCText(code).trim() + ")";
            if (code != VhdParent.W2RU && code != VhdParent.W2KU && code != VhdParent.MACX
                    && code != VhdFooter.fourCC("Wi2r") && code != VhdFooter.fourCC("Wi2k")
                    && code != VhdFooter.fourCC("Mac ")) {
                out.add(new CheckReport.Finding(Severity.WARNING, name + " has an unknown platform code", -1, false));
                continue;
            }
            long length = Integer.toUnsignedLong(l.dataLength());
            long space = Integer.toUnsignedLong(l.dataSpace());
            space = space < SECTOR ? space * SECTOR : space;
            if (l.dataOffset() < 0 || l.dataOffset() + length > fileSize) {
                out.add(new CheckReport.Finding(Severity.WARNING, name + ": its data (" + length + " bytes at "
                        + l.dataOffset() + ") lies outside the file; the parent is found by its other names", -1, false));
            } else if (length > space) {
                out.add(new CheckReport.Finding(Severity.WARNING, name + ": its data (" + length
                        + " bytes) is longer than its space (" + space + " bytes)", -1, false));
            }
        }
    }

    /** Blocks with a full bitmap whose zero sectors hide non-zero parent data (qemu-img's writes). */
    private static void checkHiddenParentData(Child child, List<CheckReport.Finding> out) throws IOException {
        BlockImage parent = child.parent();
        long parentSize = parent.size();
        int sectors = child.blockSize() / SECTOR;
        byte[] bits = new byte[child.bitmapSize()];
        ByteBuffer mine = ByteBuffer.allocate(child.blockSize());
        ByteBuffer theirs = ByteBuffer.allocate(child.blockSize());
        for (int b = 0; b < child.bat().size(); b++) {
            if (!child.bat().isAllocated(b)) {
                continue;
            }
            long blockStart = (long) b * child.blockSize();
            int inDisk = (int) Math.min(child.blockSize(), child.virtualSize() - blockStart);
            if (inDisk <= 0) {
                continue;
            }
            long at = child.bat().blockOffset(b);
            child.file().readFully(ByteBuffer.wrap(bits), at);
            if (!SectorBitmap.allSet(bits, 0, inDisk / SECTOR)) {
                continue;
            }
            int inParent = (int) Math.max(0, Math.min(inDisk, parentSize - blockStart));
            if (inParent == 0) {
                continue;
            }
            child.file().readFully(mine.clear().limit(inParent), at + child.bitmapSize());
            parent.read(blockStart, theirs.clear().limit(inParent));
            int hidden = 0;
            int first = -1;
            for (int s = 0; s < Math.min(sectors, inParent / SECTOR); s++) {
                if (isZero(mine, s * SECTOR) && !isZero(theirs, s * SECTOR)) {
                    hidden++;
                    first = first < 0 ? s : first;
                }
            }
            if (hidden > 0) {
                out.add(new CheckReport.Finding(Severity.WARNING, "block " + b + ": its bitmap is all ones, as qemu-img"
                        + " and qemu-io 7.2 write it, and " + hidden + " of its sectors (the first at offset "
                        + (blockStart + (long) first * SECTOR) + ") hold zeros where the parent has data: a write"
                        + " through QEMU probably hid the parent's data there", at, false));
            }
        }
    }

    private static boolean isZero(ByteBuffer buffer, int from) {
        for (int i = from; i < from + SECTOR; i += 8) {
            if (buffer.getLong(i) != 0) {
                return false;
            }
        }
        return true;
    }
}

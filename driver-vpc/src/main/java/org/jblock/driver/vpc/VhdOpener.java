package org.jblock.driver.vpc;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.CorruptImageException;
import org.jblock.api.UnsupportedFeatureException;
import org.jblock.api.CheckReport.Severity;

/**
 * Builds the open image from a {@link VhdScan}: a {@link FixedVhdImage} or a {@link DynamicVhdImage}
 * when no finding makes I/O unsafe, else the first such finding as a typed error. With salvage, an
 * image is opened read-only despite its findings wherever its data can still be located, and what
 * cannot be read is named (see {@link #salvage}).
 */
final class VhdOpener {

    private VhdOpener() {
    }

    /**
     * @param salvage open despite damage, read-only, reading zeros (and saying so) where the data
     *                cannot be located
     */
    static BlockImage open(BlockFile file, boolean readOnly, VhdScan scan, boolean salvage) throws IOException {
        String name = file.name();
        if (salvage) {
            return salvage(file, scan);
        }
        VhdFinding refusal = scan.refusal();
        if (refusal != null) {
            throw refusal(name, refusal);
        }
        VhdFacts facts = facts(scan, false, notes(scan));
        if (scan.footer.diskType() == VhdFooter.TYPE_FIXED) {
            return new FixedVhdImage(file, readOnly, facts);
        }
        return new DynamicVhdImage(file, readOnly, facts, scan.header, scan.bat, scan.appendAt);
    }

    /** @return the error open gives for {@code finding} */
    static IOException refusal(String name, VhdFinding finding) {
        if (finding.effect() == VhdFinding.Effect.UNSUPPORTED) {
            return new UnsupportedFeatureException(name + ": " + finding.message());
        }
        return new CorruptImageException(name, finding.structure(), finding.field(), finding.offset(),
                finding.message(), finding.expected(), finding.actual());
    }

    private static VhdFacts facts(VhdScan scan, boolean salvaged, List<String> notes) {
        return VhdFacts.of(scan, salvaged, notes);
    }

    /** Irregularities open tolerated (a footer copy in use, ...), for info. */
    private static List<String> notes(VhdScan scan) {
        List<String> notes = new ArrayList<>();
        for (VhdFinding f : scan.findings) {
            if (f.severity() == Severity.CORRUPTION) {
                notes.add(f.message());
            }
        }
        return notes;
    }

    // ---- salvage --------------------------------------------------------------------------------

    /**
     * Opens read-only whatever can be located: a fixed image's data (zeros past the end of the
     * file), or a dynamic image's blocks whose entries are not proven wrong (overlapping blocks with
     * no evidence against either are read as they are, as QEMU reads them; blocks cut short by the
     * end of the file read zeros past it). Checksums and disk types are not held against the image.
     * Every range read as zeros because its data cannot be located is named in the notes ({@code info}
     * shows them as {@code salvage-warnings}).
     */
    private static BlockImage salvage(BlockFile file, VhdScan scan) throws IOException {
        if (scan.footer == null || (scan.footer.diskType() != VhdFooter.TYPE_FIXED && scan.bat == null)) {
            VhdFinding refusal = scan.refusal();
            if (refusal.effect() == VhdFinding.Effect.UNSUPPORTED) {
                throw refusal(file.name(), refusal);
            }
            throw new CorruptImageException(file.name(), refusal.structure(), refusal.field(), refusal.offset(),
                    "nothing can be salvaged: " + refusal.message(), refusal.expected(), refusal.actual());
        }
        List<String> notes = new ArrayList<>();
        BlockFile zerosPastEnd = new ZerosPastEndBlockFile(file);
        if (scan.footer.diskType() == VhdFooter.TYPE_FIXED) {
            long dataEnd = scan.footerReadAt;
            if (scan.virtualSize > dataEnd) {
                notes.add("bytes " + range(dataEnd, scan.virtualSize) + " lie past the end of the file's data: read"
                        + " as zeros (not recoverable)");
            }
            return new FixedVhdImage(zerosPastEnd, true, facts(scan, true, notes));
        }
        BlockAllocationTable bat = scan.bat.copy();
        long blockSize = scan.blockSize;
        for (int i = scan.badEntries.nextSetBit(0); i >= 0; i = scan.badEntries.nextSetBit(i + 1)) {
            bat.set(i, BlockAllocationTable.UNALLOCATED);
            if (i * blockSize < scan.virtualSize) {
                notes.add("bytes " + range(i * blockSize, Math.min(scan.virtualSize, (i + 1) * blockSize))
                        + " (block " + i + "): its BAT entry points at " + scan.blockStart(i) + ", where the block"
                        + " cannot be: read as zeros (not recoverable)");
            }
        }
        for (int i = scan.conflicts.nextSetBit(0); i >= 0; i = scan.conflicts.nextSetBit(i + 1)) {
            notes.add("bytes " + range(i * blockSize, Math.min(scan.virtualSize, (i + 1) * blockSize)) + " (block "
                    + i + "): its block overlaps another one; read as stored, it may hold the other's data");
        }
        for (int i = scan.truncated.nextSetBit(0); i >= 0; i = scan.truncated.nextSetBit(i + 1)) {
            long cut = Math.max(0, scan.fileSize - scan.blockStart(i) - scan.bitmapSize);
            notes.add("bytes " + range(i * blockSize + cut, Math.min(scan.virtualSize, (i + 1) * blockSize))
                    + " (block " + i + ") lie past the end of the file: read as zeros (not recoverable)");
        }
        return new DynamicVhdImage(zerosPastEnd, true, facts(scan, true, notes), scan.header, bat, scan.appendAt);
    }

    private static String range(long from, long to) {
        return "[" + from + ", " + to + ")";
    }
}

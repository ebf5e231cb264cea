package org.jblock.driver.vpc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.jblock.api.BlockFile;
import org.jblock.api.CheckMode;
import org.jblock.api.CheckReport;
import org.jblock.api.CheckReport.Severity;
import org.jblock.api.ProgressListener;

/**
 * {@code check}: the findings of a {@link VhdScanner} scan (vhd-util's list of checks: footers,
 * dynamic header, BAT, leaks), optionally the sector bitmaps, and the {@link RepairPlan} the mode
 * asks for, applied or (in a dry run) only shown.
 *
 * <p>{@link CheckMode#REPAIR_LEAKS} reclaims leaks only, and only on an image with no corruption;
 * {@link CheckMode#REPAIR_ALL} repairs what the evidence allows. Neither changes a byte that a kept
 * BAT entry and its bitmap make readable.
 */
final class VhdChecker {
    private static final int COPY_CHUNK = 1 << 20;

    /** What a check found and whether it changed the image. */
    record Outcome(CheckReport report, boolean changed) {
    }

    private VhdChecker() {
    }

    /**
     * Checks the image in {@code file} and repairs what {@code mode} allows. The caller keeps other
     * writers of the metadata out while this runs, and has written back any metadata it caches.
     *
     * <p>Progress is counted in BAT entries examined, plus the blocks whose bitmaps are read when
     * {@code checkBitmaps} asks for it (the one part that reads data, and takes time).
     */
    static Outcome check(BlockFile file, CheckMode mode, boolean checkBitmaps, ProgressListener progress,
                         VhdScanner.SizeMode sizeMode) throws IOException {
        VhdScan scan = VhdScanner.scan(file, sizeMode);
        List<VhdFinding> findings = new ArrayList<>(scan.findings);
        long entries = scan.bat == null ? 0 : scan.bat.size();
        long total = entries + (checkBitmaps && scan.bat != null ? scan.bat.allocatedCount() : 0);
        progress.progress(entries, total);
        if (checkBitmaps && scan.bat != null) {
            long done = entries;
            long needed = scan.blocksNeeded();
            for (int i = 0; i < scan.bat.size(); i++) {
                if (scan.bat.isAllocated(i)) {
                    if (scan.isKept(i) && i < needed && !scan.truncated.get(i)) {
                        checkBitmap(file, scan, i, findings);
                    }
                    progress.progress(++done, total);
                }
            }
        }
        RepairPlan plan = mode.plans() ? RepairPlan.compute(file, scan, mode.repairsCorruptions()) : null;
        boolean applied = mode.repairs() && plan != null && !plan.steps().isEmpty();
        if (applied) {
            plan.apply(file);
        }
        CheckReport.Builder report = new CheckReport.Builder();
        for (VhdFinding f : findings) {
            boolean covered = plan != null && plan.covers(f);
            String message = f.message();
            if (covered) {
                message += applied ? "; repaired" : "; a repair would fix it";
            }
            report.add(f.severity(), message, f.offset(), covered && applied);
        }
        if (plan != null) {
            plan.describe(applied).forEach(report::plan);
        }
        long end = applied && plan.newEnd() >= 0 ? plan.newEnd() : scan.fileSize;
        report.imageEndOffset(end);
        if (scan.bat != null) {
            countClusters(scan, report);
        }
        return new Outcome(report.build(), applied);
    }

    private static void countClusters(VhdScan scan, CheckReport.Builder report) {
        long needed = scan.blocksNeeded();
        List<long[]> starts = new ArrayList<>();
        for (int i = 0; i < Math.min(needed, scan.bat.size()); i++) {
            if (scan.isKept(i)) {
                starts.add(new long[] {i, scan.blockStart(i)});
            }
        }
        long fragmented = 0;
        for (int j = 1; j < starts.size(); j++) {
            if (starts.get(j)[1] != starts.get(j - 1)[1] + scan.span) {
                fragmented++;
            }
        }
        report.clusters(needed, starts.size(), fragmented);
    }

    /** vhd-util's {@code -b}: sectors whose bit is clear must hold zeros. */
    private static void checkBitmap(BlockFile file, VhdScan scan, int index, List<VhdFinding> findings)
            throws IOException {
        int bitmapSize = scan.bitmapSize;
        byte[] bits = new byte[bitmapSize];
        long start = scan.blockStart(index);
        file.readFully(ByteBuffer.wrap(bits), start);
        long blockSize = scan.blockSize;
        int sectors = (int) (Math.min(blockSize, scan.virtualSize - index * blockSize) >>> VhdLayout.SECTOR_SHIFT);
        ByteBuffer data = ByteBuffer.allocate((int) Math.min(blockSize, COPY_CHUNK));
        for (int s = 0; s < sectors; ) {
            boolean set = SectorBitmap.isSet(bits, s);
            int runEnd = SectorBitmap.runEnd(bits, s, sectors, set);
            if (!set) {
                for (int at = s; at < runEnd; ) {
                    int n = Math.min(runEnd - at, data.capacity() >>> VhdLayout.SECTOR_SHIFT);
                    data.clear().limit(n << VhdLayout.SECTOR_SHIFT);
                    long position = start + bitmapSize + ((long) at << VhdLayout.SECTOR_SHIFT);
                    file.readFully(data, position);
                    int nonZero = firstNonZero(data.flip());
                    if (nonZero >= 0) {
                        long sector = at + nonZero / VhdLayout.SECTOR;
                        findings.add(new VhdFinding(Severity.WARNING, VhdFinding.Effect.NONE, VhdFinding.Repair.NONE,
                                VhdScanner.BAT, "entry " + index, start + bitmapSize + sector * VhdLayout.SECTOR,
                                "Block " + index + ": sector " + sector + " holds data although its bitmap bit is clear"
                                + " (jblock and libvhdi read zeros there, QEMU reads the data)", null, null, index));
                        return;
                    }
                    at += n;
                }
            }
            s = runEnd;
        }
    }

    /** Copies {@code length} bytes of {@code file} from {@code from} to {@code to} (ranges apart). */
    static void copy(BlockFile file, long from, long to, long length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(length, COPY_CHUNK));
        for (long done = 0; done < length; ) {
            int n = (int) Math.min(length - done, buffer.capacity());
            buffer.clear().limit(n);
            file.readFully(buffer, from + done);
            file.write(buffer.flip(), to + done);
            done += n;
        }
    }

    private static int firstNonZero(ByteBuffer data) {
        for (int i = data.position(); i < data.limit(); i++) {
            if (data.get(i) != 0) {
                return i - data.position();
            }
        }
        return -1;
    }
}

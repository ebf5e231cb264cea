package org.jblock.driver.vpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.jblock.api.BlockException;
import org.jblock.api.BlockImage;
import org.jblock.api.CheckMode;
import org.jblock.api.CheckReport;
import org.jblock.api.Extent;
import org.jblock.api.MemoryBlockFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repair sweep: every truncation point near the structures (and a sample elsewhere) and every
 * field of the footers, the dynamic header and the BAT of small images, set to 0, 1, all ones, off by
 * one either way and (for offsets) pointing at the footer, the header, the BAT, another block and past
 * the end, with checksums recomputed. On each, {@code check -r all}, and:
 * <ul>
 *   <li>no internal error (only typed, checked errors);</li>
 *   <li>the file never ends before the last block the image kept before the repair;</li>
 *   <li>every sector jblock (salvage) and qemu-img read identically before the repair, outside the
 *       damaged entry's block, reads the same in both after it (neither refuses it then);</li>
 *   <li>a second check is clean, or the repair said what it could not repair;</li>
 *   <li>salvage reads every image qemu-img reads, and equals it where both read a block's data.</li>
 * </ul>
 * qemu-img's reads come from {@link Qemu72Model}, which the real qemu-img checks on a sample of the
 * images. The figures are printed.
 */
class VpcRepairSweepTest {
    /** Bytes of each disk compared. */
    private static final int CAP = 4 << 20;
    /** One image in this many is also read by the real qemu-img, to prove the model. */
    private static final int QEMU_SAMPLE = 47;

    @TempDir
    Path dir;

    private final Map<String, Integer> figures = new TreeMap<>();
    private int images;
    private int validated;

    /** A damaged image and, for a BAT entry, the block whose entry is the damage (else -1). */
    private record Case(String name, byte[] bytes, int damagedBlock) {
    }

    private static byte[] dynamicImage() throws IOException {
        MemoryBlockFile file = TestImages.create(4 << 20, "force_size=on,block_size=512K");
        try (BlockImage image = TestImages.open(file)) {
            image.write(0, ByteBuffer.wrap(TestImages.pattern(512 * 1024, 1)));
            image.write(512 * 1024, ByteBuffer.wrap(TestImages.pattern(100_000, 2)));
            image.write(3L * 512 * 1024 + 4096, ByteBuffer.wrap(TestImages.pattern(20_000, 3)));
        }
        return file.toByteArray();
    }

    private static byte[] fixedImage() throws IOException {
        MemoryBlockFile file = TestImages.create(1 << 20, "subformat=fixed,force_size=on");
        try (BlockImage image = TestImages.open(file)) {
            image.write(0, ByteBuffer.wrap(TestImages.pattern(1 << 20, 4)));
        }
        return file.toByteArray();
    }

    private static byte[] qemuImage(Path dir) throws Exception {
        // An image as QEMU writes it: all-ones bitmaps, its own creator and sizes.
        Path vhd = dir.resolve("qemu.vhd");
        RealTools.run("qemu-img", "create", "-q", "-f", "vpc", vhd.toString(), "3M");
        RealTools.run("qemu-io", "-f", "vpc", "-c", "write -P 0x33 0 64k", "-c", "write -P 0x44 2M 4k",
                vhd.toString());
        return Files.readAllBytes(vhd);
    }

    // ---- the mutations --------------------------------------------------------------------------

    /** Takes each damaged image as it is made, so that they are never all in memory. */
    private interface Sink {
        void accept(Case c) throws Exception;
    }

    private static void truncations(String name, byte[] image, long[] interesting, Sink cases) throws Exception {
        for (int length = 0; length < image.length; length++) {
            boolean near = length < 2600 || length > image.length - 1100;
            for (long at : interesting) {
                near |= Math.abs(length - at) <= 1 || (Math.abs(length - at) <= 1024 && length % 512 <= 1);
            }
            if (near || length % 65536 == 0 || (length % 512 <= 1 && length % 16384 < 1024)) {
                cases.accept(new Case(name + " cut to " + length, Arrays.copyOf(image, length), -1));
            }
        }
    }

    /** A field: where, how wide, whether it is an offset (bytes, or sectors for the BAT). */
    private record Field(String name, int at, int width, boolean offset, boolean sectors, int structure,
                         int structureSize) {
    }

    private static void fieldMutations(String name, byte[] image, boolean dynamic, Sink cases) throws Exception {
        List<Field> fields = new ArrayList<>();
        int footerAt = image.length - 512;
        List<Integer> footers = dynamic ? List.of(footerAt, 0) : List.of(footerAt);
        String[] footerFields = {"cookie:0:8", "features:8:4", "version:12:4", "data_offset:16:8:o", "timestamp:24:4",
            "creator_app:28:4", "creator_version:32:4", "creator_os:36:4", "original_size:40:8",
            "current_size:48:8", "geometry:56:4", "disk_type:60:4", "checksum:64:4", "uuid:68:8",
            "saved_state:84:1", "reserved:85:1"};
        for (int f : footers) {
            for (String spec : footerFields) {
                String[] p = spec.split(":");
                fields.add(new Field((f == 0 ? "copy." : "footer.") + p[0], f + Integer.parseInt(p[1]),
                        Integer.parseInt(p[2]), p.length > 3, false, f, 512));
            }
        }
        if (dynamic) {
            String[] headerFields = {"cookie:0:8", "data_offset:8:8", "table_offset:16:8:o", "version:24:4",
                "max_table_entries:28:4", "block_size:32:4", "checksum:36:4", "parent_uuid:40:8",
                "parent_timestamp:56:4", "reserved:60:4", "parent_name:64:4", "locator0.code:576:4",
                "locator0.space:580:4", "locator0.length:584:4", "locator0.offset:592:8:o", "reserved2:768:4"};
            for (String spec : headerFields) {
                String[] p = spec.split(":");
                fields.add(new Field("header." + p[0], 512 + Integer.parseInt(p[1]), Integer.parseInt(p[2]),
                        p.length > 3, false, 512, 1024));
            }
            int entries = ByteBuffer.wrap(image).getInt(512 + 28);
            for (int i = 0; i < entries; i++) {
                fields.add(new Field("bat[" + i + "]", 1536 + 4 * i, 4, true, true, -1, 0));
            }
        }
        long blockAt = firstBlockAt(image, dynamic);
        long[] targets = {footerAt, 512, 1536, blockAt, blockAt + 512, image.length + 4096L};
        for (Field field : fields) {
            long original = get(image, field.at, field.width);
            List<Long> values = new ArrayList<>(List.of(0L, 1L, -1L, original + 1, original - 1));
            if (field.offset) {
                for (long t : targets) {
                    values.add(field.sectors ? t / 512 : t);
                }
            }
            for (long value : values) {
                byte[] damaged = image.clone();
                put(damaged, field.at, field.width, value);
                if (field.structure >= 0 && !field.name.endsWith("checksum")) {
                    resum(damaged, field.structure, field.structureSize);
                }
                if (Arrays.equals(damaged, image)) {
                    continue;
                }
                int block = field.name.startsWith("bat[") ? Integer.parseInt(field.name.replaceAll("\\D", "")) : -1;
                cases.accept(new Case(name + " " + field.name + "=" + Long.toHexString(value), damaged, block));
            }
        }
    }

    private static long firstBlockAt(byte[] image, boolean dynamic) {
        if (!dynamic) {
            return 4096;
        }
        int entries = ByteBuffer.wrap(image).getInt(512 + 28);
        long first = Long.MAX_VALUE;
        for (int i = 0; i < entries; i++) {
            int e = ByteBuffer.wrap(image).getInt(1536 + 4 * i);
            if (e != -1) {
                first = Math.min(first, Integer.toUnsignedLong(e) * 512);
            }
        }
        return first == Long.MAX_VALUE ? 2048 : first;
    }

    private static long get(byte[] b, int at, int width) {
        long v = 0;
        for (int i = 0; i < width; i++) {
            v = v << 8 | (b[at + i] & 0xFF);
        }
        return v;
    }

    private static void put(byte[] b, int at, int width, long value) {
        for (int i = width - 1; i >= 0; i--) {
            b[at + i] = (byte) value;
            value >>>= 8;
        }
    }

    private static void resum(byte[] image, int at, int size) {
        ByteBuffer slice = ByteBuffer.wrap(image, at, size).slice();
        if (size == 512) {
            VhdFooter.decode(slice.duplicate()).withChecksum().encode(slice);
        } else {
            DynamicHeader.decode(slice.duplicate()).withChecksum().encode(slice);
        }
    }

    // ---- one image ------------------------------------------------------------------------------

    /** What jblock's salvage reads: the disk, and the sectors it reads from a block's data. */
    private record Salvaged(byte[] disk, boolean[] dataSectors) {
    }

    private static Salvaged salvage(byte[] image) throws IOException {
        try (BlockImage opened = TestImages.open(MemoryBlockFile.of("s.vhd", image), true, "salvage=on")) {
            int n = (int) Math.min(CAP, opened.size());
            byte[] disk = TestImages.read(opened, 0, n);
            boolean[] data = new boolean[(n + 511) / 512];
            if (n > 0) {
                for (Extent e : opened.blockStatus(0, n)) {
                    if (e.data() && e.hostOffset().isPresent()) {
                        Arrays.fill(data, (int) (e.start() / 512), (int) ((e.start() + e.length() + 511) / 512), true);
                    }
                }
            }
            return new Salvaged(disk, data);
        } catch (BlockException refused) {
            return null;
        }
    }

    private void count(String figure) {
        figures.merge(figure, 1, Integer::sum);
    }

    private void sweep(Case c) throws Exception {
        images++;
        byte[] before = c.bytes;
        Qemu72Model.Read qemuBefore = Qemu72Model.read(before, CAP);
        if (images % QEMU_SAMPLE == 0) {
            validateModel(c, qemuBefore);
        }
        Salvaged jblockBefore;
        CheckReport report;
        CheckReport second;
        MemoryBlockFile file = MemoryBlockFile.of("d.vhd", before.clone());
        VhdScan scanBefore;
        try {
            jblockBefore = salvage(before);
            scanBefore = VhdScanner.scan(MemoryBlockFile.of("b.vhd", before), VhdScanner.SizeMode.AUTO);
            try (BlockImage image = TestImages.open(file, false, "check=on")) {
                report = image.check(CheckMode.REPAIR_ALL);
            } catch (BlockException refused) {
                report = null;
            }
            try (BlockImage image = TestImages.open(file, true, "check=on")) {
                second = image.check(CheckMode.REPORT);
            } catch (BlockException refused) {
                second = null;
            }
        } catch (IOException | RuntimeException | Error e) {
            if (e instanceof BlockException) {
                throw new AssertionError(c.name + ": an error outside the check: " + e, e);
            }
            throw new AssertionError(c.name + ": internal error " + e, e);
        }
        byte[] after = file.toByteArray();
        if (qemuBefore != null && jblockBefore == null) {
            fail(c.name + ": qemu-img reads it, salvage does not");
        }
        if (qemuBefore != null) {
            assertEqualWhereBothReadData(c.name + " (salvage vs qemu-img)", jblockBefore, qemuBefore);
        }
        // The file never ends before the last block kept.
        long keptEnd = scanBefore.bat == null ? 0 : scanBefore.dataEnd;
        if (after.length < Math.min(before.length, keptEnd)) {
            fail(c.name + ": the file ends at " + after.length + ", before the last kept block's end " + keptEnd);
        }
        // What both read identically before reads the same after.
        Qemu72Model.Read qemuAfter = Qemu72Model.read(after, CAP);
        Salvaged jblockAfter = salvage(after);
        if (qemuBefore != null && jblockBefore != null) {
            if (qemuAfter == null || jblockAfter == null) {
                fail(c.name + ": readable by both before the repair, " + (qemuAfter == null ? "qemu-img" : "jblock")
                        + " refuses it after");
            }
            int n = Math.min(Math.min(qemuBefore.disk().length, jblockBefore.disk.length),
                    Math.min(qemuAfter.disk().length, jblockAfter.disk.length));
            for (int s = 0; s < n; s += 512) {
                int e = Math.min(n, s + 512);
                if (c.damagedBlock >= 0 && s / (512 * 1024) == c.damagedBlock) {
                    continue;
                }
                if (Arrays.equals(qemuBefore.disk(), s, e, jblockBefore.disk, s, e)
                        && !(Arrays.equals(qemuAfter.disk(), s, e, qemuBefore.disk(), s, e)
                        && Arrays.equals(jblockAfter.disk, s, e, jblockBefore.disk, s, e))) {
                    fail(c.name + ": sector " + s / 512 + " read the same by both before the repair, not after");
                }
            }
        }
        boolean wrote = !Arrays.equals(before, after);
        if (report == null) {
            count("left unchanged: check=on refused it (" + (wrote ? "and wrote!" : "nothing written") + ")");
            assertTrue(!wrote, c.name);
            return;
        }
        boolean claimedAll = report.findings().stream().allMatch(f -> f.repaired()
                || f.severity() == CheckReport.Severity.WARNING);
        List<String> leftAlone = report.repairPlan().stream().filter(l -> l.startsWith("left unchanged: ")).toList();
        if (second == null || !second.isClean()) {
            assertTrue(!claimedAll || !leftAlone.isEmpty(), c.name + ": the repair claimed everything, the second"
                    + " check finds " + (second == null ? "it unopenable" : second.findings()));
        }
        if (wrote) {
            count("repaired" + (second != null && second.isClean() ? " (second check clean)"
                    : " in part (the rest named)"));
        } else if (report.isClean()) {
            count("left unchanged: nothing to repair (warnings at most)");
        } else {
            String why = leftAlone.isEmpty() ? "no repair applies" : leftAlone.get(0).substring(16);
            int cut = why.indexOf(':');
            count("left unchanged: " + (cut > 0 && cut < 60 ? why.substring(0, cut) : why.length() > 60
                    ? why.substring(0, 60) + "..." : why));
        }
    }

    private static void assertEqualWhereBothReadData(String what, Salvaged jblock, Qemu72Model.Read qemu) {
        int n = Math.min(jblock.disk.length, qemu.disk().length);
        for (int s = 0; s < n; s += 512) {
            int e = Math.min(n, s + 512);
            if (jblock.dataSectors[s / 512] && qemu.dataSectors()[s / 512]
                    && !Arrays.equals(jblock.disk, s, e, qemu.disk(), s, e)) {
                fail(what + ": sector " + s / 512 + " differs where both read a block's data");
            }
        }
    }

    /** The model against the real qemu-img: both refuse, or both read the same bytes. */
    private void validateModel(Case c, Qemu72Model.Read model) throws Exception {
        if (model != null && model.virtualSize() > 64 << 20) {
            return;
        }
        Path vhd = dir.resolve("v.vhd");
        Path raw = dir.resolve("v.raw");
        Files.write(vhd, c.bytes);
        Files.deleteIfExists(raw);
        int exit = RealTools.exitCode("qemu-img", "convert", "-f", "vpc", "-O", "raw", vhd.toString(), raw.toString());
        validated++;
        if (model == null) {
            assertTrue(exit != 0, c.name + ": the model refuses what qemu-img reads");
            return;
        }
        assertEquals(0, exit, c.name + ": the model reads what qemu-img refuses");
        byte[] real = Files.readAllBytes(raw);
        assertEquals(model.virtualSize(), real.length, c.name + ": virtual size");
        assertTrue(Arrays.equals(model.disk(), Arrays.copyOf(real, model.disk().length)),
                c.name + ": the model reads other bytes than qemu-img");
    }

    @Test
    void checkRepairAllOnEveryDamage() throws Exception {
        RealTools.require("qemu-img", "qemu-io");
        long started = System.nanoTime();
        byte[] dynamic = dynamicImage();
        byte[] fixed = fixedImage();
        byte[] qemu = qemuImage(dir);
        long span = 512 * 1024 + 512;
        truncations("dynamic", dynamic, new long[] {2048, 2048 + span, 2048 + 2 * span}, this::sweep);
        truncations("fixed", fixed, new long[] {}, this::sweep);
        truncations("qemu", qemu, new long[] {}, this::sweep);
        fieldMutations("dynamic", dynamic, true, this::sweep);
        fieldMutations("fixed", fixed, false, this::sweep);
        fieldMutations("qemu", qemu, true, this::sweep);
        long seconds = (System.nanoTime() - started) / 1_000_000_000L;
        StringBuilder summary = new StringBuilder("Repair sweep: " + images + " images in " + seconds + " s ("
                + validated + " also read by qemu-img to prove the model); made worse: 0\n");
        figures.forEach((k, v) -> summary.append(String.format("  %6d  %s%n", v, k)));
        System.out.println(summary);
        assertTrue(images > 3000, summary.toString());
    }
}

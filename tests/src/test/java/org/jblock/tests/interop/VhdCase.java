package org.jblock.tests.interop;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.jblock.api.Sizes;

/**
 * One VHD the interop suites make: its requested size, subformat, {@code force_size} and, for
 * jblock's own images, its {@code block_size} (QEMU always uses 2 MiB).
 *
 * @param blockSize the block size to ask jblock for, or 0 for the default
 */
record VhdCase(String sizeLabel, long size, boolean fixed, boolean forceSize, long blockSize) {
    static final long DEFAULT_BLOCK_SIZE = 2L << 20;

    /**
     * Small, odd (not a multiple of 512 nor CHS-representable), the largest pure-CHS range and
     * beyond 127 GiB, where the size comes from the footer's current size. Large disks stay sparse:
     * only the write plan's few ranges are ever written.
     */
    private static final List<String> SIZES = List.of("1M", "10M", "64M", "100M+12345", "4G", "127G", "200G");

    /** Every size, dynamic and fixed, with and without {@code force_size}. */
    static Stream<VhdCase> matrix() {
        List<VhdCase> cases = new ArrayList<>();
        for (String size : SIZES) {
            for (boolean fixed : new boolean[] {false, true}) {
                for (boolean forceSize : new boolean[] {false, true}) {
                    cases.add(new VhdCase(size, parse(size), fixed, forceSize, 0));
                }
            }
        }
        return cases.stream();
    }

    /** The dynamic cases of the {@link #matrix}. */
    static Stream<VhdCase> dynamicMatrix() {
        return matrix().filter(c -> !c.fixed());
    }

    /** Dynamic images with jblock's {@code block_size} option: the smallest, the default, a large one. */
    static Stream<VhdCase> blockSizes() {
        List<VhdCase> cases = new ArrayList<>();
        for (String blockSize : List.of("512K", "2M", "16M")) {
            cases.add(new VhdCase("100M+12345", parse("100M+12345"), false, false, parse(blockSize)));
            cases.add(new VhdCase("4G", parse("4G"), false, true, parse(blockSize)));
        }
        return cases.stream();
    }

    /** The matrix and the block-size cases: every image jblock creates for the real tools to read. */
    static Stream<VhdCase> jblockImages() {
        return Stream.concat(matrix(), blockSizes());
    }

    private static long parse(String label) {
        try {
            long total = 0;
            for (String term : label.split("\\+")) {
                total += Sizes.parse(term);
            }
            return total;
        } catch (org.jblock.api.InvalidOptionException e) {
            throw new IllegalArgumentException(label, e);
        }
    }

    String subformat() {
        return fixed ? "fixed" : "dynamic";
    }

    /** The create options both qemu-img and jblock understand. */
    String qemuOptions() {
        return "subformat=" + subformat() + ",force_size=" + (forceSize ? "on" : "off");
    }

    /** The create options for jblock: QEMU's, and the block size when one is asked for. */
    String jblockOptions() {
        return blockSize == 0 ? qemuOptions() : qemuOptions() + ",block_size=" + blockSize;
    }

    /** @return the block size the image has (what {@code qemu-img info} calls its cluster size) */
    long expectedBlockSize() {
        return blockSize == 0 ? DEFAULT_BLOCK_SIZE : blockSize;
    }

    @Override
    public String toString() {
        return subformat() + " " + sizeLabel + " force_size=" + (forceSize ? "on" : "off")
                + (blockSize == 0 ? "" : " block_size=" + Sizes.human(blockSize).replace(" ", ""));
    }
}

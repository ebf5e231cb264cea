package org.jblock.driver.vpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.jblock.api.BlockImage;
import org.jblock.api.CheckMode;
import org.jblock.api.MemoryBlockFile;
import org.junit.jupiter.api.Test;

class VpcCheckProgressTest {
    private static final int BLOCK = 512 << 10;

    /** A 4 MiB image of 8 blocks, 3 of them written. */
    private static MemoryBlockFile imageWithThreeBlocks() throws Exception {
        MemoryBlockFile content = TestImages.create(4L << 20, "block_size=512K,force_size=on");
        try (BlockImage image = TestImages.open(content)) {
            for (int block : new int[] {0, 3, 7}) {
                image.write((long) block * BLOCK, ByteBuffer.wrap(TestImages.pattern(4096, block)));
            }
        }
        return content;
    }

    private static List<long[]> checkRecordingProgress(MemoryBlockFile content, String options) throws Exception {
        List<long[]> calls = new ArrayList<>();
        try (BlockImage image = TestImages.open(content, true, options)) {
            image.check(CheckMode.REPORT, (done, total) -> calls.add(new long[] {done, total}));
        }
        return calls;
    }

    @Test
    void a_metadata_check_counts_the_bat_entries_it_examined() throws Exception {
        List<long[]> calls = checkRecordingProgress(imageWithThreeBlocks(), "");

        long[] last = calls.get(calls.size() - 1);
        assertEquals(8, last[1]);
        assertEquals(last[1], last[0]);
    }

    @Test
    void a_bitmap_check_also_counts_each_allocated_block_it_reads_and_never_goes_back() throws Exception {
        List<long[]> calls = checkRecordingProgress(imageWithThreeBlocks(), "check_bitmaps=on");

        assertEquals(List.of(8L, 9L, 10L, 11L), calls.stream().map(c -> c[0]).toList());
        assertTrue(calls.stream().allMatch(c -> c[1] == 11 && c[0] <= c[1]));
    }
}

package org.jblock.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import org.jblock.api.BackingImage;
import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.Options;
import org.jblock.api.ProgressListener;
import org.jblock.api.spi.BackingOpener;
import org.jblock.api.spi.BlockDriver;
import org.jblock.api.spi.CreateRequest;
import org.jblock.api.spi.OpenRequest;
import org.jblock.registry.DriverRegistry;
import org.jblock.api.spi.support.PowerLoss;
import org.junit.jupiter.api.Test;

/**
 * Crash safety of commit and rebase by fault injection: the operation is cut after its N-th write to
 * any file of the chain, for every N; what survives must open, and the top image must read exactly
 * as before the operation (commit and safe rebase never change what the top reads).
 */
class ChainCrashSafetyTest {
    private static final BlockDriver VPC;
    private static final int MIB = 1 << 20;
    private static final long SIZE = 4L * MIB;

    static {
        try {
            VPC = DriverRegistry.load().driver("vpc");
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** In-memory files by name, and how to open them as a chain (names are file names, in /mem). */
    private static final class Files {
        final Map<String, MemoryBlockFile> stored = new HashMap<>();

        Files copy() throws IOException {
            Files copy = new Files();
            for (Map.Entry<String, MemoryBlockFile> e : stored.entrySet()) {
                copy.stored.put(e.getKey(), MemoryBlockFile.of(e.getKey(), e.getValue().toByteArray()));
            }
            return copy;
        }

        BlockImage open(String name, boolean writable, PowerLoss power) throws IOException {
            MemoryBlockFile file = stored.get(name);
            if (file == null) {
                throw new NoSuchFileException(name);
            }
            BlockFile fed = power.feed(file.reopen(!writable));
            BackingOpener parents = (parent, format) -> open("/mem/" + Path.of(parent).getFileName(), writable, power);
            return VPC.open(new OpenRequest(fed, !writable, Options.parse("", VPC.openOptions()), parents));
        }

        void create(String name, String backing) throws IOException {
            MemoryBlockFile file = new MemoryBlockFile(name);
            Options options = Options.parse(backing == null ? "force_size=on" : "", VPC.createOptions());
            if (backing == null) {
                VPC.create(new CreateRequest(file, SIZE, options));
            } else {
                try (BlockImage parent = open(backing, false, new PowerLoss(Integer.MAX_VALUE))) {
                    VPC.create(new CreateRequest(file, SIZE, options, new BackingImage(
                            Path.of(backing).getFileName().toString(), backing, parent)));
                }
            }
            stored.put(name, file);
        }

        void write(String name, long offset, int length, int seed) throws IOException {
            try (BlockImage image = open(name, true, new PowerLoss(Integer.MAX_VALUE))) {
                byte[] data = new byte[length];
                new java.util.Random(seed).nextBytes(data);
                image.write(offset, ByteBuffer.wrap(data));
            }
        }

        byte[] read(String name) throws IOException {
            try (BlockImage image = open(name, false, new PowerLoss(Integer.MAX_VALUE))) {
                return ChainOpsTest.all(image);
            }
        }
    }

    /** base (data over 3 MiB), mid (over 1.5 MiB, partly in block 0), top (two runs, one unaligned). */
    private static Files chain() throws IOException {
        Files files = new Files();
        files.create("/mem/base.vhd", null);
        files.write("/mem/base.vhd", 0, 3 * MIB, 1);
        files.create("/mem/mid.vhd", "/mem/base.vhd");
        files.write("/mem/mid.vhd", MIB / 2, 3 * MIB / 2, 2);
        files.create("/mem/top.vhd", "/mem/mid.vhd");
        files.write("/mem/top.vhd", 4096, 8192, 3);
        files.write("/mem/top.vhd", 3 * MIB + 1000, 70_000, 4);
        return files;
    }

    private interface Operation {
        void run(BlockImage top) throws IOException;
    }

    /** Runs {@code operation} cut at every write, and checks the top after each cut. */
    private static void everyCrashKeepsTheTopsContent(Operation operation) throws IOException {
        Files start = chain();
        byte[] before = start.read("/mem/top.vhd");

        Files counted = start.copy();
        PowerLoss counter = new PowerLoss(Integer.MAX_VALUE);
        try (BlockImage top = counted.open("/mem/top.vhd", true, counter)) {
            operation.run(top);
        }
        int total = counter.writes();
        assertTrue(total > 3, "the operation makes " + total + " writes");
        assertArrayEquals(before, counted.read("/mem/top.vhd"), "after the whole operation");

        for (int n = 0; n < total; n++) {
            Files crashed = start.copy();
            try {
                BlockImage top = crashed.open("/mem/top.vhd", true, new PowerLoss(n));
                operation.run(top);
            } catch (IOException expectedPowerLoss) {
                // The chain is abandoned as a crashed process would leave it.
            }
            byte[] after;
            try {
                after = crashed.read("/mem/top.vhd");
            } catch (IOException e) {
                throw new AssertionError("after a crash at write " + n + " the top does not open: " + e.getMessage(), e);
            }
            if (!Arrays.equals(before, after)) {
                throw new AssertionError("after a crash at write " + n + " of " + total
                        + " the top reads differently from byte " + Arrays.mismatch(before, after));
            }
        }
    }

    @Test
    void aCrashAtAnyWriteOfACommitLosesNothing() throws IOException {
        everyCrashKeepsTheTopsContent(top -> Commit.commit(top, top.backing().orElseThrow(), true, 1,
                ProgressListener.NONE));
    }

    @Test
    void aCrashAtAnyWriteOfACommitIntoADeeperBaseLosesNothing() throws IOException {
        everyCrashKeepsTheTopsContent(top -> Commit.commit(top, Commit.chain(top).get(2), false, 1,
                ProgressListener.NONE));
    }

    @Test
    void aCrashAtAnyWriteOfARebaseLosesNothing() throws IOException {
        everyCrashKeepsTheTopsContent(top -> {
            BlockImage base = Commit.chain(top).get(2);
            // The new backing image is the old chain's base, which the old chain still closes.
            Rebase.rebase(top, new BackingImage("base.vhd", "/mem/base.vhd", reopen(base)), true,
                    ProgressListener.NONE);
        });
    }

    @Test
    void aCrashAtAnyWriteOfAFlatteningRebaseLosesNothing() throws IOException {
        everyCrashKeepsTheTopsContent(top -> Rebase.rebase(top, null, true, ProgressListener.NONE));
    }

    private static BlockImage reopen(BlockImage image) {
        return new org.jblock.api.spi.support.DelegatingBlockImage(image) {
            @Override
            public void close() {
                // Still part of the old chain, which closes it.
            }
        };
    }
}

package org.jblock.shell.img;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

import org.jblock.api.BlockException;
import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.CheckMode;
import org.jblock.api.CheckReport;
import org.jblock.api.Extent;
import org.jblock.api.ImageInfo;
import org.jblock.api.OptionSpec;
import org.jblock.api.ProgressListener;
import org.jblock.api.spi.BlockDriver;
import org.jblock.api.spi.CreateRequest;
import org.jblock.api.spi.OpenRequest;
import org.jblock.api.spi.ProbeInput;
import org.jblock.api.spi.support.AbstractBlockImage;

/**
 * A small format for the tool's tests, with what raw lacks: checks that find and repair problems,
 * holes the block status reports as zero, and reads that fail at a chosen offset.
 *
 * <p>Layout: a 512-byte header ({@code "TESTIMG\0"}, then big-endian longs: corruptions, leaks,
 * the virtual offset where reads fail or -1, milliseconds each read sleeps), then the virtual disk. A 64 KiB cluster of the disk that
 * is a hole in the file reads as zeros and is reported as a zero extent.
 */
final class TestDriver implements BlockDriver {
    static final String NAME = "testimg";
    static final int HEADER = 512;
    static final int CLUSTER = 64 << 10;
    private static final byte[] MAGIC = "TESTIMG\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    static final OptionSpec<Long> CORRUPTIONS = OptionSpec.integer("corruptions", 0L, "Corruptions the check finds");
    static final OptionSpec<Long> LEAKS = OptionSpec.integer("leaks", 0L, "Leaks the check finds");
    static final OptionSpec<Long> FAIL_AT = OptionSpec.integer("fail_at", -1L, "Virtual offset where reads fail");
    static final OptionSpec<Long> READ_DELAY = OptionSpec.integer("read_delay_ms", 0L, "Milliseconds each read takes");

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int probe(ProbeInput input) {
        return 0;
    }

    @Override
    public List<OptionSpec<?>> createOptions() {
        return List.of(CORRUPTIONS, LEAKS, FAIL_AT, READ_DELAY);
    }

    @Override
    public void create(CreateRequest request) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(HEADER);
        header.put(MAGIC).putLong(request.options().get(CORRUPTIONS)).putLong(request.options().get(LEAKS))
                .putLong(request.options().get(FAIL_AT)).putLong(request.options().get(READ_DELAY));
        request.file().write(header.clear(), 0);
        request.file().truncate(HEADER + request.size());
    }

    @Override
    public BlockImage open(OpenRequest request) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(HEADER);
        request.file().readFully(header, 0);
        byte[] magic = new byte[MAGIC.length];
        header.flip().get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new BlockException(request.file().name() + ": not a " + NAME + " image");
        }
        return new Image(request.file(), request.readOnly(), header.getLong(), header.getLong(), header.getLong(),
                header.getLong());
    }

    private static final class Image extends AbstractBlockImage {
        private long corruptions;
        private long leaks;
        private final long failAt;
        private final long readDelayMillis;

        Image(BlockFile file, boolean readOnly, long corruptions, long leaks, long failAt, long readDelayMillis) {
            super(NAME, file, readOnly);
            this.corruptions = corruptions;
            this.leaks = leaks;
            this.failAt = failAt;
            this.readDelayMillis = readDelayMillis;
        }

        @Override
        protected long doSize() throws IOException {
            return file().size() - HEADER;
        }

        @Override
        protected void doRead(long offset, ByteBuffer dst) throws IOException {
            if (readDelayMillis > 0) {
                try {
                    Thread.sleep(readDelayMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("read interrupted");
                }
            }
            if (failAt >= 0 && offset <= failAt && failAt < offset + dst.remaining()) {
                throw new BlockException(name() + ": Input/output error at offset " + failAt);
            }
            file().readFully(dst, HEADER + offset);
        }

        @Override
        protected void doWrite(long offset, ByteBuffer src) throws IOException {
            file().write(src, HEADER + offset);
        }

        @Override
        protected void doResize(long newSize) throws IOException {
            file().truncate(HEADER + newSize);
        }

        /** Clusters of zeros are reported as zero runs, so readers can skip them. */
        @Override
        protected List<Extent> doBlockStatus(long offset, long length) throws IOException {
            List<Extent> extents = new java.util.ArrayList<>();
            ByteBuffer cluster = ByteBuffer.allocate(CLUSTER);
            for (long at = offset; at < offset + length; ) {
                long clusterEnd = Math.min(offset + length, (at / CLUSTER + 1) * CLUSTER);
                int n = (int) (clusterEnd - at);
                file().readFully(cluster.clear().limit(n), HEADER + at);
                boolean zero = cluster.flip().mismatch(ByteBuffer.allocate(n)) < 0;
                extents.add(zero ? Extent.zero(at, n, true) : Extent.data(at, n, HEADER + at));
                at = clusterEnd;
            }
            return extents;
        }

        @Override
        protected ImageInfo doInfo() throws IOException {
            return new ImageInfo(NAME, size(), CLUSTER, java.util.Map.of("corruptions", corruptions));
        }

        @Override
        protected CheckReport doCheck(CheckMode mode, ProgressListener progress) throws IOException {
            CheckReport.Builder report = new CheckReport.Builder();
            if (readDelayMillis > 0) {
                // A slow image is checked slowly: a read of each cluster, as a check that reads its data.
                ByteBuffer cluster = ByteBuffer.allocate(CLUSTER);
                for (long at = 0; at < size(); at += CLUSTER) {
                    doRead(at, cluster.clear().limit((int) Math.min(CLUSTER, size() - at)));
                    progress.progress(at, size());
                }
            }
            boolean repairAll = mode == CheckMode.REPAIR_ALL;
            for (long i = 0; i < corruptions; i++) {
                report.add(CheckReport.Severity.CORRUPTION, "cluster " + i + " is referenced twice", HEADER + i * CLUSTER,
                        repairAll);
            }
            for (long i = 0; i < leaks; i++) {
                report.add(CheckReport.Severity.LEAK, "cluster " + i + " is not referenced", -1, mode.repairs());
            }
            if (repairAll) {
                corruptions = 0;
            }
            if (mode.repairs()) {
                leaks = 0;
                file().write(ByteBuffer.allocate(16).putLong(corruptions).putLong(leaks).flip(), MAGIC.length);
            }
            return report.imageEndOffset(file().size()).clusters(size() / CLUSTER, 1, 0).build();
        }
    }
}

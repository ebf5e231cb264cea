package org.jblock.api.spi.support;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import org.jblock.api.BlockFile;
import org.jblock.api.CheckMode;
import org.jblock.api.CheckReport;
import org.jblock.api.Extent;
import org.jblock.api.ImageClosedException;
import org.jblock.api.ImageInfo;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.ProgressListener;
import org.junit.jupiter.api.Test;

class DelegatingBlockImageTest {
    private static final int SIZE = 4096;

    /** A raw-like image over its file that notes the calls whose effect cannot be read back. */
    static final class NotingImage extends AbstractBlockImage {
        final List<String> calls = new ArrayList<>();
        final CheckReport report = new CheckReport.Builder().imageEndOffset(SIZE).build();

        NotingImage(BlockFile file) {
            super("noting", file, false);
        }

        @Override
        protected long doSize() throws IOException {
            return file().size();
        }

        @Override
        protected void doRead(long offset, ByteBuffer dst) throws IOException {
            file().readFully(dst, offset);
        }

        @Override
        protected void doWrite(long offset, ByteBuffer src) throws IOException {
            file().write(src, offset);
        }

        @Override
        protected void doDiscard(long offset, long length) {
            calls.add("discard " + offset + "+" + length);
        }

        @Override
        protected void doFlush() throws IOException {
            calls.add("flush");
            super.doFlush();
        }

        @Override
        protected List<Extent> doBlockStatus(long offset, long length) {
            return List.of(new Extent(offset, length, true, false, true, OptionalLong.of(offset)));
        }

        @Override
        protected ImageInfo doInfo() throws IOException {
            return new ImageInfo(format(), size(), 512, Map.of("noted", calls.size()));
        }

        @Override
        protected CheckReport doCheck(CheckMode mode, ProgressListener progress) {
            calls.add("check " + mode);
            progress.progress(1, 1);
            return report;
        }

        @Override
        protected void doResize(long newSize) throws IOException {
            file().truncate(newSize);
        }

        @Override
        protected void doClose() {
            calls.add("close");
        }
    }

    private final NotingImage underneath;
    private final DelegatingBlockImage image;

    DelegatingBlockImageTest() throws IOException {
        underneath = new NotingImage(MemoryBlockFile.of("disk.img", new byte[SIZE]));
        image = new DelegatingBlockImage(underneath);
    }

    @Test
    void describesTheImageUnderneath() throws IOException {
        assertEquals("disk.img", image.name());
        assertEquals(SIZE, image.size());
        assertFalse(image.isReadOnly());
        assertEquals(underneath.info(), image.info());
        assertEquals(List.of(new Extent(512, 1024, true, false, true, OptionalLong.of(512))), image.blockStatus(512, 1024));
    }

    @Test
    void readsAndWritesTheImageUnderneath() throws IOException {
        image.write(100, ByteBuffer.wrap(new byte[] {1, 2, 3}));
        ByteBuffer direct = ByteBuffer.allocate(3);
        underneath.read(100, direct);
        assertArrayEquals(new byte[] {1, 2, 3}, direct.array());

        underneath.write(200, ByteBuffer.wrap(new byte[] {7, 8}));
        ByteBuffer forwarded = ByteBuffer.allocate(2);
        image.read(200, forwarded);
        assertArrayEquals(new byte[] {7, 8}, forwarded.array());

        image.writeZeroes(100, 2, false);
        ByteBuffer zeroed = ByteBuffer.allocate(3);
        underneath.read(100, zeroed);
        assertArrayEquals(new byte[] {0, 0, 3}, zeroed.array());
    }

    @Test
    void passesDiscardFlushAndCheckOn() throws IOException {
        List<Long> heard = new ArrayList<>();
        image.discard(512, 512);
        image.flush();
        CheckReport report = image.check(CheckMode.REPAIR_LEAKS, (done, total) -> heard.add(done));

        assertSame(underneath.report, report);
        assertEquals(List.of(1L), heard);
        assertEquals(List.of("discard 512+512", "flush", "check REPAIR_LEAKS"), underneath.calls);
    }

    @Test
    void resizesAndClosesTheImageUnderneath() throws IOException {
        image.resize(2 * SIZE);
        assertEquals(2 * SIZE, underneath.size());

        image.close();
        assertEquals(List.of("flush", "close"), underneath.calls);
        assertThrows(ImageClosedException.class, () -> underneath.read(0, ByteBuffer.allocate(1)));
    }

    @Test
    void refusesNoImage() {
        assertThrows(NullPointerException.class, () -> new DelegatingBlockImage(null));
    }
}

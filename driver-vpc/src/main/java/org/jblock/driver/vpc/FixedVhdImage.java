package org.jblock.driver.vpc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Map;

import org.jblock.api.BlockFile;
import org.jblock.api.CheckMode;
import org.jblock.api.CheckReport;
import org.jblock.api.Extent;
import org.jblock.api.ImageInfo;
import org.jblock.api.InvalidRequestException;
import org.jblock.api.ProgressListener;
import org.jblock.api.UnsupportedFeatureException;
import org.jblock.api.spi.support.AbstractBlockImage;

/**
 * An open fixed VHD: the virtual disk's bytes, then the footer. Byte {@code n} of the disk is byte
 * {@code n} of the file; open checked that the data area holds the whole virtual size, so no request
 * (all lie below the virtual size) reaches the footer.
 *
 * <h2>Resize</h2>
 * The footer moves. Growing writes the new footer at the new end first (the old footer stays valid
 * until then), then zeroes the old footer and any slack that become disk space, then trims the file.
 * A grow smaller than the footer would write the new footer over the old one, so it goes through an
 * intermediate size first. Shrinking writes the new footer over the dropped data, then trims the
 * file; a crash in between leaves the old footer at the end, so the image opens at its old size with
 * the new footer's 512 bytes inside the dropped tail.
 */
final class FixedVhdImage extends AbstractBlockImage {
    private final Object resizeLock = new Object();
    private volatile VhdFacts facts;

    FixedVhdImage(BlockFile file, boolean readOnly, VhdFacts facts) {
        super("vpc", file, readOnly);
        this.facts = facts;
    }

    @Override
    protected long doSize() throws IOException {
        return facts.virtualSize();
    }

    @Override
    protected void doRead(long offset, ByteBuffer dst) throws IOException {
        file().readFully(dst, offset);
    }

    @Override
    protected void doWrite(long offset, ByteBuffer src) throws IOException {
        file().write(src, offset);
    }

    /** Zeros through the file, which punches a hole where may-unmap and its file system allow. */
    @Override
    protected void doWriteZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        file().writeZeroes(offset, length, mayUnmap);
    }

    /** The file's data and holes ({@link #extentsOfStorage}): byte {@code n} of the disk is byte {@code n} of the file. */
    /** The VHD file: the disk's bytes lie at the start of the file, as they read. */
    @Override
    public Optional<BlockFile> hostStorage() {
        return Optional.of(file());
    }

    @Override
    protected List<Extent> doBlockStatus(long offset, long length) throws IOException {
        return extentsOfStorage(offset, length);
    }

    @Override
    protected ImageInfo doInfo() throws IOException {
        Map<String, Object> fields = new LinkedHashMap<>();
        VhdInfo.addFooterFields(fields, facts);
        return new ImageInfo(format(), size(), 0, fields);
    }

    @Override
    protected void doResize(long newSize) throws IOException {
        if (newSize % VhdLayout.SECTOR != 0) {
            throw new InvalidRequestException(name() + ": a VHD's size must be a multiple of 512 bytes, not "
                    + newSize);
        }
        if (newSize > VhdLayout.MAX_VIRTUAL_SIZE) {
            throw new UnsupportedFeatureException(name() + ": Disk size is too large, max size is 2040 GiB");
        }
        synchronized (resizeLock) {
            VhdFacts old = facts;
            long oldFileEnd = old.footerOffset() + VhdFooter.SIZE;
            if (newSize > old.virtualSize() && newSize < oldFileEnd) {
                moveFooter(VhdLayout.roundUp(oldFileEnd, VhdLayout.SECTOR));
            }
            moveFooter(newSize);
        }
    }

    private void moveFooter(long newSize) throws IOException {
        VhdFacts old = facts;
        long oldFileEnd = old.footerOffset() + VhdFooter.SIZE;
        Geometry geometry = VhdCreator.geometryFor(newSize);
        // Original size too: libvhdi takes the size from it.
        VhdFooter footer = old.footer().withSize(newSize, newSize, geometry);
        file().write(ByteBuffer.wrap(footer.toBytes()), newSize);
        long zeroEnd = Math.min(newSize, oldFileEnd);
        for (long at = old.virtualSize(); at < zeroEnd; ) {
            int n = (int) Math.min(zeroEnd - at, 64 * 1024);
            file().write(ByteBuffer.allocate(n), at);
            at += n;
        }
        file().truncate(newSize + VhdFooter.SIZE);
        facts = old.resized(footer, newSize, newSize);
    }

    /** Checks the footer from the file; a repair rewrites at most the footer's checksum. */
    @Override
    protected CheckReport doCheck(CheckMode mode, ProgressListener progress) throws IOException {
        synchronized (resizeLock) {
            return VhdChecker.check(file(), mode, false, progress, facts.sizeMode()).report();
        }
    }
}

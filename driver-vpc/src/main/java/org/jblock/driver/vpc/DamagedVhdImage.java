package org.jblock.driver.vpc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

import org.jblock.api.BlockFile;
import org.jblock.api.CheckMode;
import org.jblock.api.CheckReport;
import org.jblock.api.CorruptImageException;
import org.jblock.api.ImageInfo;
import org.jblock.api.ProgressListener;
import org.jblock.api.spi.support.AbstractBlockImage;

/**
 * An image that open refused as corrupt, opened with {@code check=on} so that it can be checked and
 * repaired: {@link #check} works from the file alone, every other use fails with the error open
 * found. After a repair, open the image again to use it.
 */
final class DamagedVhdImage extends AbstractBlockImage {
    private final IOException damage;
    private final boolean checkBitmaps;
    private final long size;
    private final VhdScanner.SizeMode sizeMode;

    /**
     * @param damage why open refused the image
     * @param size   the virtual size the scan found (0 when it found none)
     */
    DamagedVhdImage(BlockFile file, boolean readOnly, IOException damage, boolean checkBitmaps, long size,
                    VhdScanner.SizeMode sizeMode) {
        super("vpc", file, readOnly);
        this.damage = damage;
        this.checkBitmaps = checkBitmaps;
        this.size = size;
        this.sizeMode = sizeMode;
    }

    /** @return the size the footer states, so that requests are checked against it before they fail */
    @Override
    protected long doSize() {
        return size;
    }

    @Override
    protected void doRead(long offset, ByteBuffer dst) throws IOException {
        throw refusal();
    }

    @Override
    protected void doWrite(long offset, ByteBuffer src) throws IOException {
        throw refusal();
    }

    @Override
    protected void doWriteZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        throw refusal();
    }

    @Override
    protected void doResize(long newSize) throws IOException {
        throw refusal();
    }

    @Override
    protected ImageInfo doInfo() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("damage", damage.getMessage());
        return new ImageInfo(format(), size, 0, fields);
    }

    @Override
    protected CheckReport doCheck(CheckMode mode, ProgressListener progress) throws IOException {
        return VhdChecker.check(file(), mode, checkBitmaps, progress, sizeMode).report();
    }

    private CorruptImageException refusal() {
        return new CorruptImageException(name(), "VHD image",
                "opened with check=on for check and repair only, because: " + damage.getMessage());
    }
}

package org.jblock.api.spi;

import java.io.IOException;

import org.jblock.api.BlockImage;
import org.jblock.api.UnsupportedFeatureException;

/**
 * How a driver whose format has a backing image (a differencing VHD's parent, a qcow2 backing file)
 * gets that image: it asks the opener, which the registry supplies through
 * {@link OpenRequest#backing()}. A driver never opens files itself.
 *
 * <p>The registry resolves {@code name} the way QEMU does: an absolute path or a name with a
 * protocol prefix ({@code nbd://...}) as it is, anything else next to the child's own file
 * ({@link org.jblock.api.BlockFile#location()}). It opens the backing image read-only with a shared
 * lock, through the protocol layer, probing its format unless {@code format} names one, and opens its
 * own backing images in turn, refusing chains deeper than its limit and chains that loop.
 *
 * <p>The image returned belongs to the caller: the child image closes it when it closes.
 */
@FunctionalInterface
public interface BackingOpener {

    /**
     * An opener for requests that do not open backing images (tests, {@code info} without
     * {@code --backing-chain}, a {@code -u} rebase). A driver given it opens a layered image alone:
     * the image describes its backing file, and reads of ranges it does not hold fail.
     */
    BackingOpener NONE = new BackingOpener() {
        @Override
        public BlockImage open(String name, String format) throws IOException {
            throw new UnsupportedFeatureException("Could not open backing file '" + name
                    + "': backing files are not opened here");
        }

        @Override
        public boolean opensBacking() {
            return false;
        }
    };

    /** @return whether this opener opens backing images ({@link #NONE} does not) */
    default boolean opensBacking() {
        return true;
    }

    /**
     * Opens the backing image {@code name}, as stored in the child's metadata.
     *
     * @param format the backing image's format, or null to probe it
     * @throws java.nio.file.NoSuchFileException when nothing is found by that name; the message
     *         names the resolved location, so a driver trying several names can list all it tried
     * @throws org.jblock.api.BlockException when the chain is too deep or loops back to the child
     */
    BlockImage open(String name, String format) throws IOException;
}

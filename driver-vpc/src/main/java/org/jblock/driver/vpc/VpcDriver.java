package org.jblock.driver.vpc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

import org.jblock.api.BlockImage;
import org.jblock.api.CorruptImageException;
import org.jblock.api.Options;
import org.jblock.api.OptionSpec;
import org.jblock.api.UnsupportedFeatureException;
import org.jblock.api.spi.BlockDriver;
import org.jblock.api.spi.CreateRequest;
import org.jblock.api.spi.OpenRequest;
import org.jblock.api.spi.ProbeInput;

/**
 * The VHD format ("vpc", after Microsoft Virtual PC): fixed, dynamic and differencing images. The options, their
 * defaults and limits are documented on the module.
 */
public final class VpcDriver implements BlockDriver {
    static final OptionSpec<String> FORCE_SIZE_CALC = OptionSpec.choice("force_size_calc", null,
            "How to compute the virtual size: 'chs' from the CHS geometry, 'current_size' from the footer's"
            + " current size; unset, CHS for Virtual PC and QEMU images and the current size for the rest",
            "chs", "current_size");
    static final OptionSpec<Boolean> SALVAGE = OptionSpec.bool("salvage", false,
            "Open a damaged image read-only to get its data out: whatever can be located is read, the rest"
            + " reads as zeros, and info names every range that could not be recovered");
    static final OptionSpec<Boolean> IGNORE_CHECKSUMS = OptionSpec.bool("ignore_checksums", false,
            "The older name of salvage=on (it began with images whose checksums are wrong)");

    static final OptionSpec<Boolean> IGNORE_ID_MISMATCH = OptionSpec.bool("ignore_id_mismatch", false,
            "Open a differencing image over a parent whose UUID is not the one the child was made from"
            + " (Hyper-V's -IgnoreIdMismatch; the data read may be wrong)");

    static final OptionSpec<Boolean> CHECK = OptionSpec.bool("check", false,
            "Open even an image that is refused as corrupt, for check and repair only (reads and writes"
            + " fail until it is repaired and opened again); 'check -r all' then fixes what is safe");
    static final OptionSpec<Boolean> CHECK_BITMAPS = OptionSpec.bool("check_bitmaps", false,
            "Let check also verify that sectors whose bitmap bit is clear hold zeros (reads every partly"
            + " written block)");

    static final OptionSpec<String> SUBFORMAT = OptionSpec.choice("subformat", "dynamic",
            "Type of virtual hard disk format: dynamic (grows as written) or fixed (preallocated, sparse)",
            "dynamic", "fixed");
    static final OptionSpec<Boolean> FORCE_SIZE = OptionSpec.bool("force_size", false,
            "Keep the exact size asked for, rather than rounding it up to the next size the CHS geometry can"
            + " express (as qemu-img does); sizes above 127 GiB are always exact");
    static final OptionSpec<Long> BLOCK_SIZE = OptionSpec.size("block_size", (long) VhdLayout.DEFAULT_BLOCK_SIZE,
            "Block size of a dynamic image: a power of two from 512K to 256M");

    /** The score for a fixed image's footer at the end: above raw's, below a certain magic. */
    static final int PROBE_FIXED_FOOTER = 60;
    /**
     * The score for a fixed footer with a wrong checksum: still far more likely a damaged VHD than a
     * raw disk that happens to end in one, so that check finds the damage instead of calling it raw.
     */
    static final int PROBE_DAMAGED_FIXED_FOOTER = 50;

    public VpcDriver() {
    }

    @Override
    public String name() {
        return "vpc";
    }

    @Override
    public String description() {
        return "Virtual Hard Disk (VHD): fixed and dynamic images, as Virtual PC, Hyper-V and qemu-img make them";
    }

    /**
     * {@code conectix} at offset 0 (a dynamic image's footer copy) is certain; a valid fixed-image
     * footer at the end (cookie, checksum and disk type 2) is likely, which QEMU cannot probe at all.
     */
    @Override
    public int probe(ProbeInput input) {
        ByteBuffer head = input.head();
        if (head.remaining() >= 8 && readLong(head, 0) == VhdFooter.COOKIE) {
            return PROBE_CERTAIN;
        }
        ByteBuffer tail = input.tail();
        if (tail.remaining() < VhdFooter.SIZE) {
            return 0;
        }
        VhdFooter footer = fixedFooter(tail, 0, VhdFooter.SIZE);
        if (footer == null && input.fileSize() % VhdFooter.SIZE == VhdFooter.SHORT_SIZE) {
            footer = fixedFooter(tail, 1, VhdFooter.SHORT_SIZE);
        }
        if (footer == null) {
            return 0;
        }
        return footer.hasValidChecksum() ? PROBE_FIXED_FOOTER : PROBE_DAMAGED_FIXED_FOOTER;
    }

    private static long readLong(ByteBuffer buffer, int at) {
        byte[] bytes = new byte[8];
        buffer.get(at, bytes);
        return ByteBuffer.wrap(bytes).getLong();
    }

    /** @return the footer at {@code at} when it has the cookie and the fixed disk type, else null */
    private static VhdFooter fixedFooter(ByteBuffer tail, int at, int length) {
        byte[] bytes = new byte[length];
        tail.get(at, bytes);
        VhdFooter footer = VhdFooter.decode(bytes);
        return footer.hasValidCookie() && footer.diskType() == VhdFooter.TYPE_FIXED ? footer : null;
    }

    /**
     * Scans the metadata once ({@link VhdScanner}) and opens from that scan. With {@code check=on} an
     * image open refuses still opens, for check and repair only.
     */
    @Override
    public BlockImage open(OpenRequest request) throws IOException {
        Options options = request.options();
        String calc = options.get(FORCE_SIZE_CALC);
        VhdScanner.SizeMode mode = calc == null ? VhdScanner.SizeMode.AUTO
                : calc.equals("chs") ? VhdScanner.SizeMode.CHS : VhdScanner.SizeMode.CURRENT_SIZE;
        boolean checkBitmaps = options.get(CHECK_BITMAPS);
        boolean salvage = options.get(SALVAGE) || options.get(IGNORE_CHECKSUMS);
        VhdScan scan = VhdScanner.scan(request.file(), mode);
        BlockImage image;
        try {
            image = VhdOpener.open(request.file(), request.readOnly(), scan, salvage);
        } catch (CorruptImageException | UnsupportedFeatureException damage) {
            boolean differencing = scan.footer != null && scan.footer.diskType() == VhdFooter.TYPE_DIFFERENCING;
            if (!options.get(CHECK) || differencing) {
                throw damage;
            }
            return new DamagedVhdImage(request.file(), request.readOnly(), damage, checkBitmaps,
                    Math.max(0, scan.virtualSize), mode);
        }
        if (image instanceof DynamicVhdImage) {
            DynamicVhdImage dynamic = (DynamicVhdImage) image;
            if (checkBitmaps) {
                dynamic.checkBitmaps();
            }
            if (dynamic.isDifferencing()) {
                attachParent(dynamic, request);
            }
        }
        return image;
    }

    /**
     * Opens the parent through the registry ({@link VhdParent}); an image opened without its chain
     * only learns its parent's name. On failure the image is dropped (its file stays the caller's).
     */
    private static void attachParent(DynamicVhdImage image, OpenRequest request) throws IOException {
        DynamicHeader header = image.header();
        if (!request.backing().opensBacking()) {
            List<VhdParent.Candidate> names = VhdParent.candidates(request.file(), header);
            image.nameParent(names.isEmpty() ? header.parentNameText() : names.get(0).name());
            return;
        }
        image.attachParent(VhdParent.open(request.file().name(), request.file(), header, request.backing(),
                request.options().get(IGNORE_ID_MISMATCH)));
    }

    @Override
    public boolean supportsBacking() {
        return true;
    }

    @Override
    public void create(CreateRequest request) throws IOException {
        Options options = request.options();
        if (request.backing() != null) {
            if ("fixed".equals(options.get(SUBFORMAT))) {
                throw new org.jblock.api.InvalidOptionException("A differencing image is dynamic: subformat=fixed"
                        + " cannot have a backing file");
            }
            VhdCreator.createDifferencing(request, options.get(BLOCK_SIZE));
            return;
        }
        VhdCreator.Sizing sizing = VhdCreator.sizing(request.size(), options.get(FORCE_SIZE));
        if ("fixed".equals(options.get(SUBFORMAT))) {
            VhdCreator.createFixed(request.file(), sizing);
        } else {
            VhdCreator.createDynamic(request.file(), sizing, VhdCreator.blockSizeOption(options.get(BLOCK_SIZE)));
        }
    }

    @Override
    public List<OptionSpec<?>> openOptions() {
        return List.of(FORCE_SIZE_CALC, SALVAGE, IGNORE_CHECKSUMS, IGNORE_ID_MISMATCH, CHECK, CHECK_BITMAPS);
    }

    @Override
    public List<OptionSpec<?>> createOptions() {
        return List.of(SUBFORMAT, FORCE_SIZE, BLOCK_SIZE);
    }
}

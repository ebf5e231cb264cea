/**
 * The VHD format ("vpc", after Microsoft Virtual PC): fixed and dynamic images, read and written.
 *
 * <h2>Open options</h2>
 * <dl>
 *   <dt>{@code force_size_calc=chs|current_size}</dt>
 *   <dd>How the virtual size is computed. Unset (the default): from the CHS geometry when the
 *       creator is Virtual PC ({@code vpc }) or QEMU ({@code qemu}), from the footer's current size
 *       for every other creator (Hyper-V, Disk2vhd, XenServer, jblock, ...), as QEMU 10 does. The
 *       maximum geometry 65535/16/255 always means the current size.</dd>
 *   <dt>{@code salvage=on|off}</dt>
 *   <dd>Default off: an image with a finding that makes I/O unsafe (a bad checksum, an unknown disk
 *       type, BAT entries outside the file or overlapping, a truncated file...) is refused. On: it
 *       opens read-only, reading what can be located and zeros where the data cannot be found;
 *       {@code info} names each such range under {@code salvage-warnings}. An image whose dynamic
 *       header cannot be used is still refused: nothing tells where its blocks are.</dd>
 *   <dt>{@code ignore_checksums=on|off}</dt>
 *   <dd>The older name of {@code salvage}.</dd>
 *   <dt>{@code check=on|off}</dt>
 *   <dd>Default off: an image open refuses as corrupt (bad checksums, a missing footer, BAT entries
 *       outside the file or overlapping, a truncated file...) is an error. On: such an image still
 *       opens, for {@code check} and repair only; reads and writes fail with the error open found
 *       until it is repaired and opened again. A sound image opens as usual.</dd>
 *   <dt>{@code check_bitmaps=on|off}</dt>
 *   <dd>Default off. On: {@code check} also reads the sectors whose bitmap bit is clear in every
 *       allocated block and warns where they are not zero (the specification wants zeros there;
 *       jblock and libvhdi read zeros, QEMU reads what is on disk).</dd>
 * </dl>
 *
 * <h2>Create options</h2>
 * <dl>
 *   <dt>{@code subformat=dynamic|fixed}</dt>
 *   <dd>Default dynamic: blocks are allocated as they are written. Fixed: the data area is the whole
 *       disk (sparse where the file system allows), then the footer.</dd>
 *   <dt>{@code force_size=on|off}</dt>
 *   <dd>Default off: a size up to 127 GiB is rounded up to the next size the CHS geometry can express,
 *       as qemu-img does. On: the size is kept exact (to the sector).</dd>
 *   <dt>{@code block_size}</dt>
 *   <dd>Dynamic images only: a power of two from 512 KiB to 256 MiB; default 2 MiB.</dd>
 * </dl>
 *
 * <h2>Limits</h2>
 * Virtual sizes up to 2040 GiB; sizes above 127 GiB use the maximum geometry and the exact size.
 * Differencing images are refused (naming their parent) until differencing is built.
 *
 * <h2>Check, repair and resize</h2>
 * {@code check} follows vhd-util's list (footers, dynamic header, BAT, leaks), from the same scan of
 * the metadata that open uses. A repair is a plan of writes computed from the findings before any is
 * made, reported in {@code CheckReport.repairPlan()} (the dry-run modes only plan): it restores a
 * footer from the one consistent with the header, rewrites checksums, drops BAT entries proven wrong,
 * moves a footer a block runs over and gives back space leaked at the end; it leaves the image
 * unchanged, saying why, when the evidence is not enough, and never ends the file before the last
 * block it keeps. Between-block space is reported, not reclaimed (moving a block could leave its
 * data where a crash would expose it). Dynamic images grow (moving the first blocks away when the
 * BAT needs their room) and shrink over unallocated tail blocks; fixed images grow and shrink by
 * moving the footer. Resize and repair must not run alongside reads and writes of the same image.
 */
module org.jblock.driver.vpc {
    requires org.jblock.api;

    provides org.jblock.api.spi.BlockDriver with org.jblock.driver.vpc.VpcDriver;
}

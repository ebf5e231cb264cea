/**
 * The raw format: the virtual disk is the file, byte for byte.
 *
 * <p>Probes at 1 for any file, so it opens what no other driver claims. Create options:
 * {@code preallocation=off|full} (off: a sparse file; full: every byte written). Images can be
 * resized. Block status reports data, and zeros only where the storage knows for sure that it holds
 * nothing ({@code BlockFile.seekData}/{@code seekHole}: memory does; a local file does on JDK 22+
 * on Linux, through {@code lseek(SEEK_DATA)}, and reports all data on JDK 17).
 */
module org.jblock.driver.raw {
    requires org.jblock.api;

    provides org.jblock.api.spi.BlockDriver with org.jblock.driver.raw.RawDriver;
}

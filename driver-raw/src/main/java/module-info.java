/**
 * The raw format: the virtual disk is the file, byte for byte.
 *
 * <p>Probes at 1 for any file, so it opens what no other driver claims. Create options:
 * {@code preallocation=off|full} (off: a sparse file; full: every byte written). Images can be
 * resized. Block status reports data, and zeros only where the storage knows for sure that it holds
 * nothing ({@code BlockFile.seekHole}: memory does; a local file never claims a hole, since the JDK
 * cannot ask the file system cheaply and honestly).
 */
module org.jblock.driver.raw {
    requires org.jblock.api;

    provides org.jblock.api.spi.BlockDriver with org.jblock.driver.raw.RawDriver;
}

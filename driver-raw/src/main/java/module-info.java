/**
 * The raw format: the virtual disk is the file, byte for byte.
 *
 * <p>Probes at 1 for any file, so it opens what no other driver claims. Create options:
 * {@code preallocation=off|full} (off: a sparse file). Images can be resized; block status reports
 * data, and zeros where the file has a hole it can see cheaply (a file that ends early).
 */
module org.jblock.driver.raw {
    requires org.jblock.api;

    provides org.jblock.api.spi.BlockDriver with org.jblock.driver.raw.RawDriver;
}

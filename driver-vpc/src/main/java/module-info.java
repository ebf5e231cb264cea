/**
 * The VHD format ("vpc", after Microsoft Virtual PC): fixed and dynamic images.
 */
module org.jblock.driver.vpc {
    requires org.jblock.api;

    provides org.jblock.api.spi.BlockDriver with org.jblock.driver.vpc.VpcDriver;
}

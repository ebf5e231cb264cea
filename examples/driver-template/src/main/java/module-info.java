/** The "foo" format for jblock: provides a BlockDriver and exports nothing. */
module com.example.foo {
    requires org.jblock.api;

    provides org.jblock.api.spi.BlockDriver with com.example.foo.FooDriver;
}

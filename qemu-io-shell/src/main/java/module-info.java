/**
 * The command-line tools: {@code jblock-io}, a qemu-io-style shell, {@code jblock-img}, a
 * qemu-img-style image tool, and {@code jblock-nbd}, a qemu-nbd-style NBD server over the
 * {@code org.jblock.nbd} engine. The only module that prints: the work of jblock-img is done by the
 * engines of {@code org.jblock.ops}. It reaches drivers through the registry alone; the drivers are
 * on the launcher's module path at run time.
 */
module org.jblock.shell {
    requires org.jblock.registry;
    requires org.jblock.ops;
    requires org.jblock.nbd;
    requires info.picocli;
    requires org.jline;

    opens org.jblock.shell.io to info.picocli;
    opens org.jblock.shell.img to info.picocli;
    opens org.jblock.shell.nbd to info.picocli;

    // Every System.Logger of the tools' JVM writes one line on stderr (ToolLogging).
    provides java.lang.System.LoggerFinder with org.jblock.shell.ToolLogging;
}

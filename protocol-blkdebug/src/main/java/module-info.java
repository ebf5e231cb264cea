/**
 * {@code blkdebug}, QEMU's fault-injection filter, as a protocol over another: requests pass to its
 * child {@code image} unless a rule fails them ({@code blkdebug:rules.conf:t.vhd},
 * {@code driver=blkdebug,image.filename=t.vhd,inject-error.0.event=none,inject-error.0.sector=8}).
 * Above a format ({@code driver=blkdebug,image.driver=vpc,...}) it is a filter of the virtual disk
 * instead, failing block status too and firing {@code cor_write} for copy-on-read.
 * Rule files and options use QEMU's syntax, so qemu-iotests and scripts that inject faults into
 * qemu-img and qemu-io do the same with jblock's tools. Provides a protocol; exports nothing.
 */
module org.jblock.protocol.blkdebug {
    requires org.jblock.api;

    provides org.jblock.api.spi.BlockProtocol with org.jblock.protocol.blkdebug.BlkdebugProtocol;
    provides org.jblock.api.spi.BlockFilter with org.jblock.protocol.blkdebug.BlkdebugFilter;
}

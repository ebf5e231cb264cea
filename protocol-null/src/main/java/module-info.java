/**
 * QEMU's {@code null-co} and {@code null-aio} protocols: storage of a given size that keeps nothing,
 * for tests and benchmarks. Provides {@link org.jblock.api.spi.BlockProtocol}; exports nothing.
 *
 * <h2>Names and options</h2>
 * The only filenames are {@code null-co://} and {@code null-aio://}. Options, as QEMU's:
 * {@code size} (default 1 GiB), {@code read-zeroes=on|off} (default off) and
 * {@code latency-ns} (each request waits that long first; default 0).
 *
 * <h2>Behaviour</h2>
 * Writes, zero writes and discards succeed and are forgotten; flushes succeed. Reads give zeros
 * (QEMU leaves the reader's buffer untouched unless {@code read-zeroes=on}; jblock never hands out
 * stale memory). Block status is QEMU's: all data without {@code read-zeroes}, all zeros (a hole)
 * with it. The size is fixed: resizing and requests past the end are refused.
 */
module org.jblock.protocol.nullco {
    requires org.jblock.api;

    provides org.jblock.api.spi.BlockProtocol with org.jblock.protocol.nullco.NullCoProtocol,
            org.jblock.protocol.nullco.NullAioProtocol;
}

/**
 * QEMU's copy-on-write format, qcow2: versions 2 ({@code compat=0.10}) and 3 ({@code compat=1.1}),
 * read and written, with backing files, zero clusters and compressed clusters (read).
 *
 * <h2>Open</h2>
 * Every header field is checked before it is used; the L1 table (at most 32 MiB) and the refcount
 * table (at most 8 MiB) are QEMU's limits. An image with unknown incompatible features, an external
 * data file, extended L2 entries, zstd compression or encryption is refused, naming what it uses;
 * one marked corrupt or dirty, or with internal snapshots, opens read-only only. The backing file is
 * opened by the registry (its format from the backing format extension, else probed).
 *
 * <h2>Create options</h2>
 * <dl>
 *   <dt>{@code compat=0.10|1.1}</dt><dd>Default 1.1 (version 3, which has zero clusters).</dd>
 *   <dt>{@code cluster_size}</dt><dd>A power of two from 512 to 2M; default 64K.</dd>
 *   <dt>{@code refcount_bits}</dt><dd>1 to 64, a power of two; default 16 (version 2: 16 only).</dd>
 *   <dt>{@code lazy_refcounts}</dt><dd>Only off.</dd>
 * </dl>
 *
 * <h2>Writes</h2>
 * New clusters are appended; refcounts are written and flushed before the L2 and L1 entries that
 * point at them, so a crash leaves leaks at worst (see {@code Qcow2Image}). Write-zeroes sets the
 * zero flag of whole clusters on version 3 (unmapping them when allowed); discard unmaps whole
 * clusters. {@code check} compares every refcount with the references the metadata makes and repairs
 * the refcounts; {@code rebase -u} rewrites the backing file name and format; images grow.
 */
module org.jblock.driver.qcow2 {
    requires org.jblock.api;

    provides org.jblock.api.spi.BlockDriver with org.jblock.driver.qcow2.Qcow2Driver;
}

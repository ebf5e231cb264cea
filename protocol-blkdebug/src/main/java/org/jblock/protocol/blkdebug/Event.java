package org.jblock.protocol.blkdebug;

import java.util.Set;

/**
 * The events a rule can hang on: QEMU 7.2's {@code BlkdebugEvent} names, so that rule files written
 * for QEMU load unchanged. jblock fires only some of them (see {@link BlkdebugFile} under a format,
 * {@link BlkdebugImage} above one, where copy-on-read fires {@code cor_write}); a rule
 * on another event is accepted and never fires, which is what QEMU does for an event the format in
 * use never raises (vpc raises none).
 */
final class Event {
    /** Rules on this event are active from the start. */
    static final String NONE = "none";

    static final String PWRITEV = "pwritev";
    static final String PWRITEV_ZERO = "pwritev_zero";
    static final String PWRITEV_DONE = "pwritev_done";
    static final String FLUSH_TO_OS = "flush_to_os";
    static final String FLUSH_TO_DISK = "flush_to_disk";
    static final String COR_WRITE = "cor_write";

    static final Set<String> NAMES = Set.of(
            "l1_update", "l1_grow_alloc_table", "l1_grow_write_table", "l1_grow_activate_table",
            "l2_load", "l2_update", "l2_update_compressed", "l2_alloc_cow_read", "l2_alloc_write",
            "read_aio", "read_backing_aio", "read_compressed", "write_aio", "write_compressed",
            "vmstate_load", "vmstate_save", "cow_read", "cow_write",
            "reftable_load", "reftable_grow", "reftable_update",
            "refblock_load", "refblock_update", "refblock_update_part", "refblock_alloc",
            "refblock_alloc_hookup", "refblock_alloc_write", "refblock_alloc_write_blocks",
            "refblock_alloc_write_table", "refblock_alloc_switch_table",
            "cluster_alloc", "cluster_alloc_bytes", "cluster_free",
            FLUSH_TO_OS, FLUSH_TO_DISK,
            "pwritev_rmw_head", "pwritev_rmw_after_head", "pwritev_rmw_tail", "pwritev_rmw_after_tail",
            PWRITEV, PWRITEV_ZERO, PWRITEV_DONE,
            "empty_image_prepare", "l1_shrink_write_table", "l1_shrink_free_l2_clusters",
            COR_WRITE, "cluster_alloc_space", NONE);

    private Event() {
    }
}

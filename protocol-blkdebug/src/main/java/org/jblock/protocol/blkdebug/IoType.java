package org.jblock.protocol.blkdebug;

import java.util.EnumSet;
import java.util.Set;

/** The kinds of request an {@code inject-error} rule can fail, by QEMU's names ({@code iotype=}). */
enum IoType {
    READ("read"),
    WRITE("write"),
    WRITE_ZEROES("write-zeroes"),
    DISCARD("discard"),
    FLUSH("flush"),
    BLOCK_STATUS("block-status");

    /** What a rule without {@code iotype} fails: every kind but block status, as in QEMU. */
    static final Set<IoType> DEFAULT = EnumSet.of(READ, WRITE, WRITE_ZEROES, DISCARD, FLUSH);

    final String qemuName;

    IoType(String qemuName) {
        this.qemuName = qemuName;
    }

    /** @return the kind QEMU calls {@code name}, or null */
    static IoType named(String name) {
        for (IoType type : values()) {
            if (type.qemuName.equals(name)) {
                return type;
            }
        }
        return null;
    }
}

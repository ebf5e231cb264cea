package org.jblock.registry;

/** What the registry does with the backing images of a layered image it opens. */
public enum ChainMode {
    /** Opens the whole chain, backing images read-only with shared locks (the default). */
    READ_ONLY_BACKING,
    /** Opens the whole chain with every backing image writable and locked exclusively (for a commit). */
    WRITABLE_BACKING,
    /**
     * Opens the image alone: it names its backing file, and reads of ranges it does not hold fail
     * (QEMU's {@code info} without {@code --backing-chain}, an unsafe rebase).
     */
    NO_BACKING
}

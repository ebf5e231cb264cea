/**
 * The engines behind the tools, for any Java caller: copying images ({@code convert}, and
 * {@code commit} and {@code rebase} on top of it), comparing them, committing a layer into its
 * backing image and re-pointing a layer at another backing image. No printing: results and
 * progress go back to the caller.
 *
 * <p>Depends on the registry (which opens chains and new backing images) and the api alone.
 */
module org.jblock.ops {
    requires transitive org.jblock.registry;

    exports org.jblock.ops;
}

package org.jblock.api.spi;

import java.io.IOException;
import java.util.Objects;

import org.jblock.api.BlockFile;
import org.jblock.api.Options;

/**
 * What {@link BlockProtocol#open} and {@link BlockProtocol#create} are asked to open.
 *
 * @param options  values of the protocol's {@link BlockProtocol#openOptions()}, already checked
 * @param readOnly whether the storage must refuse writes
 * @param lock     how to hold the storage against other opens; protocols without locks ignore it
 * @param children how a filter opens the child nodes it names in {@link BlockProtocol#children()}
 */
public record ProtocolRequest(Options options, boolean readOnly, BlockFile.LockMode lock, ChildOpener children) {

    public ProtocolRequest {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(lock, "lock");
        Objects.requireNonNull(children, "children");
    }

    /** A request for a protocol without children. */
    public ProtocolRequest(Options options, boolean readOnly, BlockFile.LockMode lock) {
        this(options, readOnly, lock, ChildOpener.NONE);
    }

    /**
     * Opens the child node {@code name} (a filter's {@code image}) with the options given for it,
     * read-only and locked as this request is.
     *
     * @throws org.jblock.api.InvalidOptionException when no options were given for it
     */
    public BlockFile child(String name) throws IOException {
        return children.open(name, readOnly, lock);
    }

    /**
     * How the registry opens a filter's child: by the child's options in the parent's
     * ({@code image.filename=x}, {@code image.driver=nbd,image.server.path=...}) or a filename given
     * as the child's value ({@code image=nbd://host/x}), through whichever protocol they name.
     */
    @FunctionalInterface
    public interface ChildOpener {
        /** For requests whose protocol has no children. */
        ChildOpener NONE = (name, readOnly, lock) -> {
            throw new org.jblock.api.InvalidOptionException("No child node '" + name + "' can be opened here");
        };

        /** Opens the child {@code name}; the caller closes it. */
        BlockFile open(String name, boolean readOnly, BlockFile.LockMode lock) throws IOException;
    }
}

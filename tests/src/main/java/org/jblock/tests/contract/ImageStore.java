package org.jblock.tests.contract;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.jblock.api.BlockFile;
import org.jblock.api.InvalidRequestException;
import org.jblock.api.LocalBlockFile;
import org.jblock.api.MemoryBlockFile;

/**
 * The storage one contract check keeps its image in: it hands out new handles on the same bytes, so
 * an image can be closed and opened again, and shows the stored bytes as they are, so a check can
 * prove that a refused request wrote nothing.
 */
abstract class ImageStore {

    /** @return an empty, writable file to create the image in (the caller closes it) */
    abstract BlockFile create() throws IOException;

    /** @return a new handle on the stored bytes */
    abstract BlockFile open(boolean readOnly) throws IOException;

    /** @return a copy of every stored byte */
    abstract byte[] bytes() throws IOException;

    /** Storage in memory, named {@code name}. */
    static ImageStore inMemory(String name) {
        MemoryBlockFile content = new MemoryBlockFile(name);
        return new ImageStore() {
            @Override
            BlockFile create() {
                return content.reopen(false);
            }

            @Override
            BlockFile open(boolean readOnly) {
                return content.reopen(readOnly);
            }

            @Override
            byte[] bytes() throws IOException {
                return content.reopen(true).toByteArray();
            }
        };
    }

    /** Storage in a local file at {@code path}, which need not exist yet. */
    static ImageStore localFile(Path path) {
        return new ImageStore() {
            @Override
            BlockFile create() throws IOException {
                return LocalBlockFile.create(path);
            }

            @Override
            BlockFile open(boolean readOnly) throws IOException {
                return LocalBlockFile.open(path, readOnly);
            }

            @Override
            byte[] bytes() throws IOException {
                long length = Files.size(path);
                if (length > Integer.MAX_VALUE - 8) {
                    throw new InvalidRequestException(path + ": too large for a byte array (" + length + " bytes)");
                }
                return Files.readAllBytes(path);
            }
        };
    }
}

package org.jblock.tests.contract;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.ServiceLoader;

import org.jblock.api.BlockFile;
import org.jblock.api.InvalidRequestException;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.Options;
import org.jblock.api.spi.BlockProtocol;
import org.jblock.api.spi.ProtocolRequest;

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

    /**
     * Storage in a local file at {@code path}, which need not exist yet, through the {@code file}
     * protocol found by {@link ServiceLoader}; {@code direct}: opened with {@code cache.direct=on}
     * (created without, as QEMU creates images).
     */
    static ImageStore localFile(Path path, boolean direct) {
        return new ImageStore() {
            @Override
            BlockFile create() throws IOException {
                BlockProtocol file = fileProtocol();
                return file.create(request(file, false));
            }

            @Override
            BlockFile open(boolean readOnly) throws IOException {
                BlockProtocol file = fileProtocol();
                return file.open(request(file, readOnly, direct));
            }

            private ProtocolRequest request(BlockProtocol file, boolean readOnly) throws IOException {
                return request(file, readOnly, false);
            }

            private ProtocolRequest request(BlockProtocol file, boolean readOnly, boolean bypass) throws IOException {
                Map<String, String> options = new java.util.HashMap<>(Map.of("filename", path.toString()));
                if (bypass) {
                    options.put(BlockProtocol.CACHE_DIRECT, "on");
                }
                return new ProtocolRequest(Options.of(options, file.openOptions()), readOnly, BlockFile.LockMode.NONE);
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

    /**
     * @return whether files in {@code folder} open with {@code cache.direct=on}: false where its
     *         file system has no {@code O_DIRECT} (the file protocol refuses in QEMU's words)
     */
    static boolean takesDirectIo(Path folder) throws IOException {
        Path probe = Files.createTempFile(folder, "direct", ".probe");
        try {
            localFile(probe, true).open(true).close();
            return true;
        } catch (org.jblock.api.UnsupportedFeatureException e) {
            if (String.valueOf(e.getMessage()).endsWith("filesystem does not support O_DIRECT")) {
                return false;
            }
            throw e;
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    /** @return the {@code file} protocol, which must be on the class or module path */
    static BlockProtocol fileProtocol() {
        for (BlockProtocol protocol : ServiceLoader.load(BlockProtocol.class, ImageStore.class.getClassLoader())) {
            if (protocol.name().equals(BlockProtocol.FILE)) {
                return protocol;
            }
        }
        throw new IllegalStateException("No 'file' protocol found: add org.jblock:protocol-file to the test class path");
    }
}

package org.jblock.driver.vpc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;

/** The real VHD images of the shared test data, decompressed into a test's temporary folder. */
final class SampleImages {
    static final String VIRTUAL_PC = "virtualpc-dynamic.vhd";
    static final String HYPER_V = "hyperv2012r2-dynamic.vhd";
    static final String DISK2VHD = "d2v-zerofilled.vhd";
    static final String AFL5 = "afl5.img";

    private SampleImages() {
    }

    /** @return the decompressed copy of {@code name} in {@code dir}, made on first use */
    static Path decompress(String name, Path dir) throws IOException {
        Path source = folder().resolve(name + ".bz2");
        Path target = dir.resolve(name);
        if (Files.exists(target)) {
            return target;
        }
        try (InputStream in = new BZip2CompressorInputStream(Files.newInputStream(source))) {
            Files.copy(in, target);
        }
        return target;
    }

    /**
     * The folder of the samples: {@code $JBLOCK_SHARED_DIR/testdata/vhd}, or, when the build runs in a
     * checkout that is not beside the shared folder (a second worktree), the nearest
     * {@code shared/testdata/vhd} above the working directory.
     */
    private static Path folder() throws IOException {
        String shared = System.getenv("JBLOCK_SHARED_DIR");
        if (shared != null && Files.isDirectory(Paths.get(shared, "testdata", "vhd"))) {
            return Paths.get(shared, "testdata", "vhd");
        }
        for (Path at = Paths.get("").toAbsolutePath(); at != null; at = at.getParent()) {
            Path candidate = at.resolve("shared").resolve("testdata").resolve("vhd");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IOException("the VHD sample images are not found: JBLOCK_SHARED_DIR is " + shared);
    }
}

package org.jblock.tests.interop;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.protocol.file.LocalBlockFile;
import org.jblock.api.spi.support.DelegatingBlockFile;
import org.jblock.registry.DriverRegistry;
import org.jblock.registry.OpenSpec;
import org.jblock.shell.img.JblockImg;

import picocli.CommandLine;

/** VHDs that jblock creates and writes, for the real tools to read. */
final class JblockImages {
    static final DriverRegistry REGISTRY = DriverRegistry.load();

    /**
     * More than any VHD's metadata in these suites (a 200 GiB disk's BAT is 400 KiB): creating an
     * image must not write its data area, or a 200 GiB fixed image would fill the machine's disk.
     */
    private static final long CREATE_WRITE_BUDGET = 16L << 20;

    /**
     * An image jblock wrote, and the content it must have.
     *
     * @param image the VHD
     * @param model a sparse raw file holding the expected content of the virtual disk
     * @param size  jblock's virtual size
     */
    record Written(Path image, Path model, long size, WritePlan plan) {
    }

    private JblockImages() {
    }

    /** Runs jblock-img in this JVM, on this test's class path (where every protocol is), with {@link #REGISTRY}. */
    static RealTools.Result img(String... arguments) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine tool = JblockImg.model(REGISTRY);
        tool.setOut(new PrintWriter(out, true));
        tool.setErr(new PrintWriter(err, true));
        int exit = tool.execute(arguments);
        List<String> command = new ArrayList<>(List.of("jblock-img"));
        command.addAll(List.of(arguments));
        return new RealTools.Result(command, exit, out.toString(), err.toString());
    }

    /** @return the options that open a VHD as such, read-write or read-only, with no probing */
    static OpenSpec vpc(boolean readOnly) {
        return new OpenSpec("vpc", readOnly, false, "");
    }

    /** Creates the case's image with jblock at {@code image}. */
    static void create(Path image, VhdCase c) throws IOException {
        try (BlockFile file = new WriteBudget(LocalBlockFile.create(image), CREATE_WRITE_BUDGET, c)) {
            REGISTRY.create(file, "vpc", c.size(), c.jblockOptions());
            file.flush();
        }
    }

    /** Creates the case's image in {@code dir} with jblock, writes the plan into it and closes it. */
    static Written createAndWrite(Path dir, VhdCase c) throws IOException {
        Path image = dir.resolve("jblock.vhd");
        create(image, c);
        long size;
        WritePlan plan;
        try (BlockImage opened = REGISTRY.open(image, vpc(false))) {
            long actual = opened.size();
            assertTrue(actual >= c.size(), () -> c + ": virtual size " + actual + " is smaller than asked");
            size = actual;
            plan = WritePlan.forDisk(size, c.expectedBlockSize(), true);
            plan.applyTo(opened);
            opened.flush();
        }
        Path model = dir.resolve("expected.raw");
        plan.writeRawModel(model, size);
        return new Written(image, model, size, plan);
    }

    /** Fails a create that writes more than its budget. */
    private static final class WriteBudget extends DelegatingBlockFile {
        private final long budget;
        private final VhdCase c;
        private long written;

        WriteBudget(BlockFile delegate, long budget, VhdCase c) {
            super(delegate);
            this.budget = budget;
            this.c = c;
        }

        @Override
        public synchronized void write(ByteBuffer src, long position) throws IOException {
            written += src.remaining();
            if (written > budget) {
                throw new IOException("creating a " + c + " image wrote more than " + budget
                        + " bytes: a new image must be sparse (metadata only)");
            }
            super.write(src, position);
        }
    }
}

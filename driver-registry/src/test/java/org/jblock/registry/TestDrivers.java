package org.jblock.registry;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.CorruptImageException;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.OptionSpec;
import org.jblock.api.UnsupportedFeatureException;
import org.jblock.api.spi.BlockDriver;
import org.jblock.api.spi.CreateRequest;
import org.jblock.api.spi.OpenRequest;
import org.jblock.api.spi.ProbeInput;
import org.jblock.api.spi.support.AbstractBlockImage;

/**
 * Made-up drivers for the registry's tests, registered through ServiceLoader as third parties
 * would be: good ones with magic bytes, and every kind of broken one.
 */
public final class TestDrivers {
    static final int HEADER = 512;

    private TestDrivers() {
    }

    /** @return the real raw driver, found through ServiceLoader as at run time */
    static BlockDriver raw() {
        return DriverRegistry.load().drivers().stream().filter(d -> d.name().equals("raw")).findFirst().orElseThrow();
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** An image that is a window of its file: {@code [base, file size - trailer)}. */
    static final class WindowImage extends AbstractBlockImage {
        private final long base;
        private final long trailer;

        WindowImage(String format, BlockFile file, boolean readOnly, long base, long trailer) {
            super(format, file, readOnly);
            this.base = base;
            this.trailer = trailer;
        }

        @Override
        protected long doSize() throws IOException {
            return file().size() - base - trailer;
        }

        @Override
        protected void doRead(long offset, ByteBuffer dst) throws IOException {
            file().readFully(dst, base + offset);
        }

        @Override
        protected void doWrite(long offset, ByteBuffer src) throws IOException {
            file().write(src, base + offset);
        }
    }

    /**
     * A format whose 512-byte header starts with an 8-byte magic; the disk follows it. Header byte 8
     * says who may open it: 0 anyone, 'X' nobody (damaged), another letter only a driver whose name
     * ends with it.
     */
    public abstract static class HeaderFormat implements BlockDriver {
        static final OptionSpec<Boolean> STRICT = OptionSpec.bool("strict", false, "Refuse headers with spare bytes set");
        private final String name;
        private final byte[] magic;
        private final int score;

        HeaderFormat(String name, String magic, int score) {
            this.name = name;
            this.magic = ascii(magic);
            this.score = score;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String description() {
            return "test format " + name;
        }

        @Override
        public int probe(ProbeInput input) {
            if (input.head().remaining() < magic.length) {
                return 0;
            }
            for (int i = 0; i < magic.length; i++) {
                if (input.head().get(i) != magic[i]) {
                    return 0;
                }
            }
            return score;
        }

        @Override
        public BlockImage open(OpenRequest request) throws IOException {
            ByteBuffer header = ByteBuffer.allocate(HEADER);
            request.file().readFully(header, 0);
            byte owner = header.get(8);
            if (owner == 'X') {
                throw new CorruptImageException(request.file().name(), name + " header", "owner", 8,
                        "damaged header", "0", "'X'");
            }
            if (owner != 0 && owner != name.charAt(name.length() - 1)) {
                throw new UnsupportedFeatureException(name + ": header belongs to '" + (char) owner + "'");
            }
            return new WindowImage(name, request.file(), request.readOnly(), HEADER, 0);
        }

        @Override
        public void create(CreateRequest request) throws IOException {
            request.file().write(ByteBuffer.wrap(magic), 0);
            if (request.size() % 512 != 0) {
                throw new InvalidOptionException(name + ": the size must be a multiple of 512");
            }
            request.file().truncate(HEADER + request.size());
        }

        @Override
        public List<OptionSpec<?>> openOptions() {
            return List.of(STRICT);
        }

        /** @return a header of this format, whose byte 8 is {@code owner} */
        byte[] header(char owner) {
            byte[] header = new byte[HEADER];
            System.arraycopy(magic, 0, header, 0, magic.length);
            header[8] = (byte) owner;
            return header;
        }
    }

    /** Magic "JBMAGIC!" at offset 0, certain. */
    public static final class Magic extends HeaderFormat {
        public Magic() {
            super("magic", "JBMAGIC!", BlockDriver.PROBE_CERTAIN);
        }
    }

    /** Shares its magic and score with {@link TieB}. */
    public static final class TieA extends HeaderFormat {
        public TieA() {
            super("tie-a", "JBTIE!!!", 50);
        }
    }

    public static final class TieB extends HeaderFormat {
        public TieB() {
            super("tie-b", "JBTIE!!!", 50);
        }
    }

    /** A format known by its last 512 bytes, like VHD: "JBFOOTER", then a valid flag that must be 1. */
    public static final class Footer implements BlockDriver {
        static final byte[] MAGIC = ascii("JBFOOTER");

        public Footer() {
        }

        @Override
        public String name() {
            return "footer";
        }

        @Override
        public int probe(ProbeInput input) {
            ByteBuffer tail = input.tail();
            if (input.fileSize() < 512 || tail.remaining() < 512) {
                return 0;
            }
            for (int i = 0; i < MAGIC.length; i++) {
                if (tail.get(i) != MAGIC[i]) {
                    return 0;
                }
            }
            return BlockDriver.PROBE_CERTAIN;
        }

        @Override
        public BlockImage open(OpenRequest request) throws IOException {
            long size = request.file().size();
            ByteBuffer footer = ByteBuffer.allocate(512);
            request.file().readFully(footer, size - 512);
            if (footer.get(8) != 1) {
                throw new CorruptImageException(request.file().name(), "footer", "valid", size - 512 + 8,
                        "the footer is not valid", "1", String.valueOf(footer.get(8)));
            }
            return new WindowImage("footer", request.file(), request.readOnly(), 0, 512);
        }

        /** @return a footer, valid or not */
        static byte[] footer(boolean valid) {
            byte[] footer = new byte[512];
            System.arraycopy(MAGIC, 0, footer, 0, MAGIC.length);
            footer[8] = (byte) (valid ? 1 : 0);
            return footer;
        }
    }

    /** Claims every file with raw's score: loses the tie to raw, which is built in. */
    public static final class Low implements BlockDriver {
        public Low() {
        }

        @Override
        public String name() {
            return "low";
        }

        @Override
        public int probe(ProbeInput input) {
            return 1;
        }

        @Override
        public BlockImage open(OpenRequest request) {
            return new WindowImage("low", request.file(), request.readOnly(), 0, 0);
        }
    }

    /** Its probe throws. */
    public static final class ThrowingProbe implements BlockDriver {
        public ThrowingProbe() {
        }

        @Override
        public String name() {
            return "flaky";
        }

        @Override
        public int probe(ProbeInput input) {
            throw new IllegalStateException("probe exploded");
        }

        @Override
        public BlockImage open(OpenRequest request) throws IOException {
            throw new UnsupportedFeatureException("flaky: never opens");
        }
    }

    /** Its open and create throw unchecked exceptions, against the contract. */
    public static final class Buggy implements BlockDriver {
        public Buggy() {
        }

        @Override
        public String name() {
            return "buggy";
        }

        @Override
        public int probe(ProbeInput input) {
            return 0;
        }

        @Override
        public BlockImage open(OpenRequest request) {
            throw new IllegalStateException("open exploded");
        }

        @Override
        public void create(CreateRequest request) {
            throw new IllegalStateException("create exploded");
        }
    }

    /** Cannot be constructed. */
    public static final class BrokenConstructor extends HeaderFormat {
        public BrokenConstructor() {
            super("broken", "JBBROKEN", 100);
            throw new IllegalStateException("no licence file");
        }
    }

    /** Claims the built-in name "raw" from outside org.jblock.driver.raw, and every file. */
    public static final class ImpostorRaw extends HeaderFormat {
        public ImpostorRaw() {
            super("raw", "", BlockDriver.PROBE_CERTAIN);
        }
    }

    /** Claims the name of {@link Magic}. */
    public static final class DuplicateMagic extends HeaderFormat {
        public DuplicateMagic() {
            super("magic", "JBOTHER!", 100);
        }
    }

    /** Not a format name. */
    public static final class BadName extends HeaderFormat {
        public BadName() {
            super("Bad Name", "JBBADNAM", 100);
        }
    }

    /** Its name() throws. */
    public static final class NameThrows extends HeaderFormat {
        public NameThrows() {
            super("unnamed", "JBNONAME", 100);
        }

        @Override
        public String name() {
            throw new UnsupportedOperationException("no name yet");
        }
    }
}

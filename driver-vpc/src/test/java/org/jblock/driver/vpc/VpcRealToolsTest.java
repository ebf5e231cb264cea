package org.jblock.driver.vpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jblock.api.BlockImage;
import org.jblock.protocol.file.LocalBlockFile;
import org.jblock.api.Options;
import org.jblock.api.Sizes;
import org.jblock.api.spi.CreateRequest;
import org.jblock.api.spi.OpenRequest;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The size and content of images jblock creates, as QEMU (qemu-img, qemu-io) and libvhdi (vhdiinfo)
 * see them, and the reverse: images qemu-img creates and qemu-io writes, as jblock reads them. This is
 * where the choice of creator app and geometry is proven: every reader must land on one size.
 */
class VpcRealToolsTest {
    private static final Pattern QEMU_SIZE = Pattern.compile("\"virtual-size\": (\\d+)");
    private static final Pattern VHDI_SIZE = Pattern.compile("Media size\\s*:.*\\((\\d+) bytes\\)");

    @TempDir
    Path dir;

    private static long match(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        assertTrue(m.find(), "no size in:\n" + text);
        return Long.parseLong(m.group(1));
    }

    @ParameterizedTest(name = "jblock creates {0} with ''{1}''")
    @CsvSource(delimiter = ';', value = {
        "64M;", "10000k;force_size=on", "1G;block_size=512K", "200G;", "127G;", "7777k;subformat=fixed",
        "3M;subformat=fixed,force_size=on", "0;",
    })
    void qemuAndLibvhdiAgreeOnImagesJblockCreates(String size, String options) throws Exception {
        RealTools.require("qemu-img", "qemu-io", "vhdiinfo");
        Path path = dir.resolve("j.vhd");
        VpcDriver driver = new VpcDriver();
        long virtualSize;
        try (LocalBlockFile file = LocalBlockFile.create(path)) {
            driver.create(new CreateRequest(file, Sizes.parse(size), Options.parse(options, driver.createOptions())));
        }
        byte[] pattern = new byte[70_000];
        Arrays.fill(pattern, (byte) 0xab);
        try (LocalBlockFile file = LocalBlockFile.open(path, false);
             BlockImage image = driver.open(new OpenRequest(file, false, Options.EMPTY))) {
            virtualSize = image.size();
            if (virtualSize >= 2 * pattern.length) {
                image.write(1000, ByteBuffer.wrap(pattern));
                image.write(virtualSize - pattern.length, ByteBuffer.wrap(pattern));
            }
        }
        String info = RealTools.run("qemu-img", "info", "-f", "vpc", "--output=json", path.toString());
        assertEquals(virtualSize, match(QEMU_SIZE, info), "qemu-img's virtual size");
        // libvhdi refuses a table of 0 entries ("invalid number of entries: 0"), QEMU's empty images too.
        if (virtualSize > 0 || options != null && options.contains("fixed")) {
            assertEquals(virtualSize, match(VHDI_SIZE, RealTools.run("vhdiinfo", path.toString())),
                    "libvhdi's media size");
        }
        if (virtualSize >= 2 * pattern.length) {
            // libvhdi reads through the sector bitmaps, so it also proves the bits jblock set.
            RealTools.requirePyvhdi();
            String script = "import pyvhdi,sys\nf=pyvhdi.file()\nf.open(sys.argv[1])\n"
                    + "def at(o,n):\n f.seek_offset(o,0)\n return f.read_buffer(n)\n"
                    + "s=f.get_media_size()\n"
                    + "print(s, at(1000,70000)==b'\\xab'*70000, at(0,1000)==bytes(1000),"
                    + " at(s-70000,70000)==b'\\xab'*70000, at(100000,4096)==bytes(4096))";
            String libvhdi = RealTools.run(RealTools.PYTHON, "-c", script, path.toString()).trim();
            assertEquals(virtualSize + " True True True True", libvhdi, "pyvhdi's size and content");
            String io = RealTools.run("qemu-io", "-f", "vpc", "-c", "read -P 0xab 1000 70000", "-c", "read -P 0 0 1000",
                    "-c", "read -P 0xab " + (virtualSize - pattern.length) + " 70000", path.toString());
            assertTrue(!io.contains("Pattern verification failed"), io);
        }
    }

    @ParameterizedTest(name = "qemu-img creates {0} with ''{1}''")
    @CsvSource(delimiter = ';', value = {
        "64M;", "10000k;", "33333k;force_size=on", "130G;", "20M;subformat=fixed",
        "7777k;subformat=fixed,force_size=on",
    })
    void jblockReadsWhatQemuWrites(String size, String options) throws Exception {
        RealTools.require("qemu-img", "qemu-io");
        Path path = dir.resolve("q.vhd");
        if (options == null) {
            RealTools.run("qemu-img", "create", "-q", "-f", "vpc", path.toString(), size);
        } else {
            RealTools.run("qemu-img", "create", "-q", "-f", "vpc", "-o", options, path.toString(), size);
        }
        long qemuSize = match(QEMU_SIZE, RealTools.run("qemu-img", "info", "-f", "vpc", "--output=json", path.toString()));
        long tail = qemuSize - 70_000;
        RealTools.run("qemu-io", "-f", "vpc", "-c", "write -P 0x5a 1000 3M", "-c", "write -P 0x11 " + tail + " 70000",
                "-c", "write -z 5M 1M", path.toString());
        VpcDriver driver = new VpcDriver();
        try (LocalBlockFile file = LocalBlockFile.open(path, true);
             BlockImage image = driver.open(new OpenRequest(file, true, Options.EMPTY))) {
            assertEquals(qemuSize, image.size());
            byte[] head = new byte[6 << 20];
            image.read(0, ByteBuffer.wrap(head));
            byte[] expected = new byte[6 << 20];
            Arrays.fill(expected, 1000, 1000 + (3 << 20), (byte) 0x5a);
            assertArrayEquals(expected, head);
            byte[] end = new byte[70_000];
            image.read(tail, ByteBuffer.wrap(end));
            byte[] ones = new byte[70_000];
            Arrays.fill(ones, (byte) 0x11);
            assertArrayEquals(ones, end);
        }
    }
}

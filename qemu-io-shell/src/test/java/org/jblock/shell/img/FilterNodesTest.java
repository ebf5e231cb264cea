package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;

import org.jblock.api.BlockImage;
import org.jblock.registry.DriverRegistry;
import org.jblock.registry.OpenSpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Filter nodes above a format in jblock-img: blkdebug failing a VHD's block status and reads for
 * {@code convert --salvage} (qemu-iotests 251's setup), and the throttle filter with its
 * {@code --object throttle-group}.
 */
class FilterNodesTest {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    private Path image;

    /** A 64 MiB dynamic VHD written all over with 42, as 251 makes it. */
    @BeforeEach
    void image() throws Exception {
        image = dir.resolve("t.vhd");
        DriverRegistry registry = DriverRegistry.load();
        registry.create(image, "vpc", 64L * MIB, "");
        try (BlockImage opened = registry.open(image, OpenSpec.readWrite())) {
            byte[] data = new byte[8 * MIB];
            Arrays.fill(data, (byte) 42);
            for (long at = 0; at < opened.size(); at += data.length) {
                opened.write(at, ByteBuffer.wrap(data, 0, (int) Math.min(data.length, opened.size() - at)));
            }
        }
    }

    private static String rule(String iotype, long offset) {
        return "{'event': 'none', 'iotype': '" + iotype + "', 'errno': 5, 'sector': " + offset / 512 + "}";
    }

    @Test
    void salvageWarnsInQemuImgsOrderThroughBlkdebugAboveTheFormat() {
        long status0 = 16L * MIB + 8192;
        long status1 = 33L * MIB + 512;
        long read0 = 32L * MIB - 65536;
        long read2 = 34L * MIB;
        String source = "json:{'driver': 'blkdebug', 'image': {'driver': 'vpc', 'file': {'driver': 'file', 'filename': '"
                + image + "'}}, 'inject-error': [" + rule("block-status", status0) + ", " + rule("block-status", status1)
                + ", " + rule("read", read0) + ", " + rule("read", status1) + ", " + rule("read", read2) + ", "
                + rule("read", read2 + 512) + "]}";
        Img.Result result = Img.run("convert", "--salvage", source, dir.resolve("out.raw").toString());
        assertEquals(0, result.exitCode(), result.err());
        String status = "jblock-img: warning: error while reading block status at offset ";
        String read = "jblock-img: warning: error while reading offset ";
        String io = ": Input/output error\n";
        assertEquals(status + status0 + io + status + status1 + io
                + status + status0 + io + read + read0 + io + status + status1 + io + read + status1 + io
                + read + read2 + io + read + (read2 + 512) + io, result.err());
    }

    @Test
    void withoutSalvageAFailedBlockStatusAboveTheFormatFailsTheConvert() {
        String source = "json:{'driver': 'blkdebug', 'image': {'driver': 'vpc', 'file': {'driver': 'file', 'filename': '"
                + image + "'}}, 'inject-error': [" + rule("block-status", 4L * MIB) + "]}";
        Img.Result result = Img.run("convert", source, dir.resolve("out.raw").toString());
        assertEquals(1, result.exitCode());
        assertTrue(result.err().contains("Input/output error"), result.err());
    }

    @Test
    void theThrottleFilterReadsThroughItsGroup() {
        Img.Result result = Img.run("compare", "--object", "throttle-group,id=g0,limits.bps-total=1000000000",
                "--image-opts", "driver=throttle,throttle-group=g0,file.driver=vpc,file.file.filename=" + image,
                "driver=vpc,file.filename=" + image);
        assertEquals(0, result.exitCode(), result.err());
        assertEquals("Images are identical.\n", result.out());
    }

    @Test
    void aThrottleFilterNeedsAGroupThatExists() {
        Img.Result missing = Img.run("info", "--image-opts",
                "driver=throttle,throttle-group=g9,file.driver=vpc,file.file.filename=" + image);
        missing.assertOneLineError(1);
        assertTrue(missing.err().endsWith(": Throttle group 'g9' does not exist\n"), missing.err());
        Img.Result badObject = Img.run("info", "--object", "throttle-group,id=g0,limits.iops-total=x", image.toString());
        badObject.assertOneLineError(1);
        assertTrue(badObject.err().endsWith("Parameter 'limits.iops-total' expects uint64\n"), badObject.err());
    }

    @Test
    void helpListsTheFiltersAmongTheSupportedFormats() {
        String help = Img.run("--help").out();
        String supported = help.lines().filter(l -> l.startsWith("Supported formats: ")).findFirst().orElseThrow();
        for (String name : new String[] {"throttle", "copy-on-read", "blkdebug", "vpc"}) {
            assertTrue((supported + " ").contains(" " + name + " "), supported);
        }
        assertEquals(1, supported.split(" blkdebug ", -1).length - 1 + (supported.endsWith(" blkdebug") ? 1 : 0),
                "a name that is a protocol and a filter is listed once: " + supported);
    }
}

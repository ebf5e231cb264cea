package org.jblock.tests.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;

import org.jblock.tests.interop.RealTools.Tool;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * null-co and null-aio as qemu-img sees them: the same block status (zeros with read-zeroes, neither
 * data nor zeros without) and the same name for a node its options make.
 */
class NullProtocolInteropTest {

    @BeforeAll
    static void requireQemu() {
        RealTools.require(Tool.QEMU_IMG);
    }

    @ParameterizedTest
    @ValueSource(strings = {"driver=null-co,size=1M,read-zeroes=on", "driver=null-co,size=1M,read-zeroes=off",
            "driver=null-aio,size=64k", "driver=raw,file.driver=null-co,file.size=3M,file.read-zeroes=on"})
    void map_is_qemu_img_s(String options) throws IOException {
        for (String output : new String[] {"json", "human"}) {
            String qemu = RealTools.run(Tool.QEMU_IMG, "map", "--output=" + output, "--image-opts", options)
                    .assertSucceeded().stdout();
            String jblock = JblockImages.img("map", "--output=" + output, "--image-opts", options).assertSucceeded().stdout();
            assertEquals(qemu, jblock, options + " --output=" + output);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"null-co://", "null-aio://"})
    void a_filename_is_the_name_and_the_size_is_a_gibibyte(String filename) throws IOException {
        String qemu = RealTools.run(Tool.QEMU_IMG, "info", "-f", "raw", filename).assertSucceeded().stdout();
        String jblock = JblockImages.img("info", "-f", "raw", filename).assertSucceeded().stdout();
        assertEquals(qemu.lines().limit(3).toList(), jblock.lines().limit(3).toList());
    }
}

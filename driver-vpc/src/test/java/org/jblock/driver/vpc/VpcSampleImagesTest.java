package org.jblock.driver.vpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.CorruptImageException;
import org.jblock.api.Extent;
import org.jblock.protocol.file.LocalBlockFile;
import org.jblock.api.Options;
import org.jblock.api.spi.OpenRequest;
import org.jblock.api.spi.ProbeInput;
import org.jblock.api.spi.support.DelegatingBlockFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The real images made by Virtual PC, Hyper-V and Disk2vhd, and the fuzzed afl5 image. */
class VpcSampleImagesTest {
    private static final long CHS_127G = 136_363_130_880L;
    private static final long CURRENT_127G = 136_365_211_648L;
    private static final long D2V_SIZE = 263_454_720L;

    /** Shared by the tests: decompressing the Disk2vhd image takes seconds. They only read it. */
    @TempDir
    static Path dir;

    private final VpcDriver driver = new VpcDriver();

    private BlockImage open(Path path, String options) throws IOException {
        LocalBlockFile file = LocalBlockFile.open(path, true);
        try {
            return driver.open(new OpenRequest(file, true, Options.parse(options, driver.openOptions())));
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    @ParameterizedTest(name = "{0} with ''{1}'' is {2} bytes")
    @CsvSource(delimiter = ';', value = {
        "virtualpc-dynamic.vhd;;" + CHS_127G,
        "virtualpc-dynamic.vhd;force_size_calc=current_size;" + CURRENT_127G,
        "virtualpc-dynamic.vhd;force_size_calc=chs;" + CHS_127G,
        "hyperv2012r2-dynamic.vhd;;" + CURRENT_127G,
        "hyperv2012r2-dynamic.vhd;force_size_calc=current_size;" + CURRENT_127G,
        "hyperv2012r2-dynamic.vhd;force_size_calc=chs;" + CHS_127G,
        "d2v-zerofilled.vhd;;" + D2V_SIZE,
        "d2v-zerofilled.vhd;force_size_calc=current_size;" + D2V_SIZE,
        "d2v-zerofilled.vhd;force_size_calc=chs;" + D2V_SIZE,
    })
    void sampleSizesMatchQemu(String name, String options, long expected) throws IOException {
        try (BlockImage image = open(SampleImages.decompress(name, dir), options == null ? "" : options)) {
            assertEquals(expected, image.size());
        }
    }

    @Test
    void emptySamplesReadAsZerosEverywhere() throws IOException {
        for (String name : List.of(SampleImages.VIRTUAL_PC, SampleImages.HYPER_V)) {
            try (BlockImage image = open(SampleImages.decompress(name, dir), "")) {
                ByteBuffer buffer = ByteBuffer.allocate(3 << 20);
                for (long at : new long[] {0, image.size() / 2 + 12345, image.size() - buffer.capacity()}) {
                    image.read(at, buffer.clear());
                    assertTrue(TestImages.isZero(buffer.flip()), name + " at " + at);
                }
                List<Extent> extents = image.blockStatus(0, image.size());
                assertEquals(List.of(Extent.zero(0, image.size(), true)), extents);
            }
        }
    }

    @Test
    void disk2vhdMapsAs126DataExtents() throws IOException {
        try (BlockImage image = open(SampleImages.decompress(SampleImages.DISK2VHD, dir), "")) {
            List<Extent> extents = image.blockStatus(0, image.size());
            assertEquals(126, extents.size());
            for (int i = 0; i < extents.size(); i++) {
                Extent e = extents.get(i);
                assertTrue(e.data() && e.allocated() && !e.zero() && e.hostOffset().isPresent(), e.toString());
                assertEquals((long) i << 21, e.start());
                assertEquals(i == 125 ? 1_310_720 : 2 << 20, e.length());
            }
            Map<String, Object> info = image.info().formatSpecific();
            assertEquals(126L, info.get("allocated-blocks"));
            assertEquals("d2v\\0", info.get("creator-app"));
            assertEquals("65535/16/255", info.get("geometry"));
            assertEquals(2097152L, image.info().clusterSize());
        }
    }

    @Test
    void disk2vhdReadsTheSameThroughAnyRequestShape() throws IOException {
        Path path = SampleImages.decompress(SampleImages.DISK2VHD, dir);
        try (BlockImage image = open(path, ""); LocalBlockFile raw = LocalBlockFile.open(path, true)) {
            // All bitmaps are full, so the virtual disk is the blocks' data areas end to end.
            ByteBuffer whole = ByteBuffer.allocate((int) image.size());
            image.read(0, whole);
            List<Extent> extents = image.blockStatus(0, image.size());
            for (Extent e : extents) {
                ByteBuffer expected = ByteBuffer.allocate((int) e.length());
                raw.readFully(expected, e.hostOffset().getAsLong());
                assertEquals(expected.flip(), whole.duplicate().position((int) e.start()).limit((int) e.end()));
            }
            ByteBuffer odd = ByteBuffer.allocate(5 << 20 | 333);
            image.read(2097152 - 17, odd);
            assertEquals(whole.duplicate().position(2097152 - 17).limit(2097152 - 17 + odd.capacity()), odd.flip());
        }
    }

    @Test
    void probeIsCertainForDynamicSamples() throws IOException {
        for (String name : List.of(SampleImages.VIRTUAL_PC, SampleImages.HYPER_V, SampleImages.DISK2VHD)) {
            try (LocalBlockFile file = LocalBlockFile.open(SampleImages.decompress(name, dir), true)) {
                assertEquals(100, driver.probe(ProbeInput.read(file)), name);
            }
        }
    }

    @Test
    void afl5IsRefusedWithQemusMessageBeforeReadingItsTable() throws IOException {
        Path path = SampleImages.decompress(SampleImages.AFL5, dir);
        AtomicLong bytesRead = new AtomicLong();
        try (LocalBlockFile file = LocalBlockFile.open(path, true)) {
            BlockFile counting = new DelegatingBlockFile(file) {
                @Override
                public int read(ByteBuffer dst, long position) throws IOException {
                    int n = super.read(dst, position);
                    bytesRead.addAndGet(Math.max(n, 0));
                    return n;
                }
            };
            CorruptImageException e = assertThrows(CorruptImageException.class,
                    () -> driver.open(new OpenRequest(counting, true, Options.EMPTY)));
            assertTrue(e.getMessage().contains("Max Table Entries too large (1073741825)"), e.getMessage());
            assertEquals("max_table_entries", e.field());
        }
        // The footers and the header, nothing sized from the 4 GiB table the header claims.
        assertTrue(bytesRead.get() <= 3 * 512 + 1024, bytesRead + " bytes read");
    }

    @Test
    void infoNamesTheCreatorAndHowTheSizeWasComputed() throws IOException {
        try (BlockImage image = open(SampleImages.decompress(SampleImages.HYPER_V, dir), "")) {
            Map<String, Object> info = image.info().formatSpecific();
            assertEquals("dynamic", info.get("subformat"));
            assertEquals("win ", info.get("creator-app"));
            assertEquals("6.3", info.get("creator-version"));
            assertEquals("65278/16/255", info.get("geometry"));
            assertTrue(((String) info.get("size-source")).startsWith("current-size"));
            assertTrue(((String) info.get("timestamp")).startsWith("2016-02-19T"), info.get("timestamp").toString());
            assertEquals(0L, info.get("allocated-blocks"));
            assertFalse(image.info().formatSpecific().containsKey("checksums-ignored"));
        }
    }
}

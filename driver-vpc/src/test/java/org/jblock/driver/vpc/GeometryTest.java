package org.jblock.driver.vpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The CHS reference vectors of vhd-format.md, computed from the specification's algorithm. */
class GeometryTest {

    @ParameterizedTest(name = "{0} sectors -> {1}")
    @CsvSource({
        "6144, 90/4/17, 3133440, 0x005A0411",
        "40960, 602/4/17, 20959232, 0x025A0411",
        "204800, 1003/12/17, 104761344, 0x03EB0C11",
        "2097152, 2080/16/63, 1073479680, 0x0820103F",
        "20971520, 20805/16/63, 10737377280, 0x5145103F",
        "62914560, 62415/16/63, 32212131840, 0xF3CF103F",
        "66059279, 65534/16/63, 33821835264, 0xFFFE103F",
        "66059280, 16191/16/255, 33822351360, 0x3F3F10FF",
        "266338304, 65278/16/255, 136363130880, 0xFEFE10FF",
        "267382800, 65535/16/255, 136899993600, 0xFFFF10FF",
        "4278190080, 65535/16/255, 136899993600, 0xFFFF10FF",
    })
    void specificationVectors(long sectors, String chs, long bytes, String encoded) {
        Geometry g = Geometry.forSectors(sectors);
        assertEquals(chs, g.toString());
        assertEquals(bytes, g.totalSectors() * 512);
        assertEquals(Long.decode(encoded).intValue(), g.encode());
        assertEquals(g, Geometry.decode(g.encode()));
    }

    @ParameterizedTest(name = "{0} sectors round up")
    @CsvSource({"131072", "8388608", "1", "2047", "266338304"})
    void roundingUpGivesTheSmallestGeometryAtLeastAsLarge(long sectors) {
        Geometry g = Geometry.roundingUp(sectors);
        assertTrue(g.totalSectors() >= sectors);
        // No smaller sector count the algorithm can express lies between.
        assertTrue(Geometry.forSectors(g.totalSectors() - 1).totalSectors() < sectors);
    }
}

package org.jblock.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class ExtentTest {

    @Test
    void appendMergesARunThatContinuesTheLast() {
        List<Extent> runs = new ArrayList<>();
        Extent.append(runs, Extent.data(0, 512, 4096));
        Extent.append(runs, Extent.data(512, 512, 4608));
        assertEquals(List.of(Extent.data(0, 1024, 4096)), runs);
    }

    @Test
    void appendKeepsARunApartWhenItsFlagsOrMappingDiffer() {
        List<Extent> runs = new ArrayList<>();
        Extent.append(runs, Extent.data(0, 512, 4096));
        Extent.append(runs, Extent.data(512, 512, 8192));
        Extent.append(runs, Extent.zero(1024, 512, false));
        Extent.append(runs, Extent.zero(1536, 512, true));
        assertEquals(List.of(Extent.data(0, 512, 4096), Extent.data(512, 512, 8192), Extent.zero(1024, 512, false),
                Extent.zero(1536, 512, true)), runs);
    }

    @Test
    void appendKeepsARunApartWhenItDoesNotStartWhereTheLastEnds() {
        List<Extent> runs = new ArrayList<>();
        Extent.append(runs, Extent.zero(0, 512, false));
        Extent.append(runs, Extent.zero(1024, 512, false));
        assertEquals(List.of(Extent.zero(0, 512, false), Extent.zero(1024, 512, false)), runs);
    }
}

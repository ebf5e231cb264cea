package org.jblock.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The limiter's waits, on a clock that moves only when the group sleeps or the test says so. */
class ThrottleGroupTest {
    private static final long SECOND = 1_000_000_000L;

    /** A clock that records every sleep and moves by it. */
    private static final class FakeTicker implements ThrottleGroup.Ticker {
        long now = 5 * SECOND;
        final List<Long> sleeps = new ArrayList<>();

        @Override
        public long nanoTime() {
            return now;
        }

        @Override
        public void sleep(long nanos) {
            sleeps.add(nanos);
            now += nanos;
        }

        long slept() {
            return sleeps.stream().mapToLong(Long::longValue).sum();
        }
    }

    private final FakeTicker ticker = new FakeTicker();

    private ThrottleGroup group(String... pairs) throws InvalidOptionException {
        Map<String, String> properties = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            properties.put(pairs[i], pairs[i + 1]);
        }
        return ThrottleGroup.of("g", properties, ticker);
    }

    @Test
    void requestsBeyondTheRateWaitForTheirTurn() throws Exception {
        ThrottleGroup group = group("limits.iops-total", "10");
        group.account(false, 512);
        group.account(true, 512);
        assertEquals(0, ticker.slept(), "the bucket holds a tenth of a second's worth: one request, and one past it");
        for (int i = 0; i < 10; i++) {
            group.account(false, 512);
        }
        assertEquals(10, ticker.sleeps.size(), "each further request waited");
        assertEquals(SECOND, ticker.slept(), 1_000, "ten more cost a second at 10 per second");
    }

    @Test
    void aBurstGoesThroughAtOnceThenTheRateHolds() throws Exception {
        ThrottleGroup group = group("limits.bps-total", "1000", "limits.bps-total-max", "4000");
        for (int i = 0; i < 5; i++) {
            group.account(false, 1000);
        }
        assertEquals(0, ticker.slept(), "4000 bytes of burst and one request past it pass at once");
        group.account(false, 1000);
        assertEquals(SECOND, ticker.slept(), 1_000, "then 1000 bytes per second");
    }

    @Test
    void idleTimeDrainsTheBucket() throws Exception {
        ThrottleGroup group = group("limits.iops-total", "1");
        group.account(false, 512);
        ticker.now += 10 * SECOND;
        group.account(false, 512);
        assertEquals(0, ticker.slept());
    }

    @Test
    void readAndWriteLimitsCountOnlyTheirDirection() throws Exception {
        ThrottleGroup group = group("limits.bps-write", "1000", "limits.iops-read", "100");
        group.account(true, 2000);
        group.account(false, 4096);
        assertEquals(0, ticker.slept(), "a read does not wait for the writes' bucket");
        group.account(true, 1);
        assertEquals(1_900_000_000L, ticker.slept(), 1_000, "2000 bytes drain to 100 at 1000 per second");
    }

    @Test
    void iopsSizeCountsALargeRequestAsSeveral() throws Exception {
        ThrottleGroup group = group("limits.iops-total", "10", "limits.iops-size", "4096");
        group.account(false, 40960);
        group.account(false, 512);
        assertEquals(900_000_000L, ticker.slept(), 1_000, "ten requests' worth drain to one at 10 per second");
        ThrottleGroup plain = group("limits.iops-total", "10");
        long before = ticker.slept();
        plain.account(false, 40960);
        plain.account(false, 512);
        assertEquals(before, ticker.slept(), "without iops-size a large request is one request");
    }

    @Test
    void qemusRulesForLimitsAreKept() {
        assertEquals("bps/iops/max total values and read/write values cannot be used at the same time",
                assertThrows(InvalidOptionException.class,
                        () -> group("limits.iops-total", "5", "limits.iops-read", "5")).getMessage());
        assertEquals("bps_max/iops_max require corresponding bps/iops values",
                assertThrows(InvalidOptionException.class, () -> group("limits.bps-read-max", "5")).getMessage());
        assertEquals("bps_max/iops_max cannot be lower than bps/iops values",
                assertThrows(InvalidOptionException.class,
                        () -> group("limits.bps-read", "10", "limits.bps-read-max", "5")).getMessage());
        assertEquals("Property 'throttle-group.limits.iops' not found",
                assertThrows(InvalidOptionException.class, () -> group("limits.iops", "5")).getMessage());
        assertEquals("Parameter 'limits.iops-total' expects uint64",
                assertThrows(InvalidOptionException.class, () -> group("limits.iops-total", "x")).getMessage());
    }

    @Test
    void objectsAreMadeFromQemusObjectText() throws Exception {
        UserObjects objects = UserObjects.parse(List.of("throttle-group,id=g0,limits.iops-total=1000",
                "qom-type=throttle-group,id=g1"), ticker);
        assertTrue(objects.throttleGroup("g0").limits());
        assertEquals("g1", objects.throttleGroup("g1").id());
        assertEquals("Throttle group 'g2' does not exist",
                assertThrows(InvalidOptionException.class, () -> objects.throttleGroup("g2")).getMessage());
        assertEquals("Invalid object type 'secret'", assertThrows(InvalidOptionException.class,
                () -> UserObjects.parse(List.of("secret,id=s0,data=x"), ticker)).getMessage());
        assertEquals("Parameter 'id' is missing", assertThrows(InvalidOptionException.class,
                () -> UserObjects.parse(List.of("throttle-group"), ticker)).getMessage());
    }
}

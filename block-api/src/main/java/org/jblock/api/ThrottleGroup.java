package org.jblock.api;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;


/**
 * QEMU's {@code throttle-group} object: limits on the I/O of every image throttled by the group
 * together, in bytes and in requests per second, in total and per direction. Created from QEMU's
 * {@code --object throttle-group,id=ID,limits.iops-total=100,limits.bps-read=1M,...} keys
 * ({@link #of}); {@link org.jblock.api.layer.Throttle} images {@linkplain #account account} their requests to it.
 *
 * <h2>The limiter</h2>
 * Each limit is a leaky bucket, as QEMU's are: a request first waits until every bucket it counts
 * in is no fuller than that bucket's size, then adds its cost (bytes, or requests; a request larger
 * than {@code iops-size} counts as that many requests), and the buckets drain at their limit per
 * second. A bucket's size is its limit over a tenth of a second, or {@code X-max × X-max-length}
 * when a burst ({@code X-max}, for {@code X-max-length} seconds, default 1) is allowed. So a burst
 * goes through at once and the long-run rate is the limit.
 *
 * <p>Time comes from a {@link Ticker}, so that tests see exactly how long requests wait without
 * waiting. Requests of one group are admitted one at a time, in the order they come.
 */
public final class ThrottleGroup {
    /** QEMU's largest limit, {@code THROTTLE_VALUE_MAX}. */
    static final long VALUE_MAX = 1_000_000_000_000_000L;
    private static final String PREFIX = "limits.";
    private static final String[] KINDS = {"bps-total", "bps-read", "bps-write", "iops-total", "iops-read", "iops-write"};

    /** The clock and the sleep a group waits with. */
    public interface Ticker {
        /** The real one: {@link System#nanoTime()} and {@link Thread#sleep}. */
        Ticker SYSTEM = new Ticker() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public void sleep(long nanos) throws InterruptedIOException {
                try {
                    Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while throttled");
                }
            }
        };

        long nanoTime();

        void sleep(long nanos) throws InterruptedIOException;
    }

    /** One limit: its rate per second, burst, and how full it is. */
    private static final class Bucket {
        final String name;
        final boolean bytes;
        final Boolean write;   // null: both directions
        final double avg;
        final double size;
        double level;

        Bucket(String name, boolean bytes, Boolean write, long avg, long max, long burstSeconds) {
            this.name = name;
            this.bytes = bytes;
            this.write = write;
            this.avg = avg;
            this.size = max > 0 ? (double) max * burstSeconds : avg / 10.0;
        }

        boolean counts(boolean isWrite) {
            return write == null || write == isWrite;
        }
    }

    private final String id;
    private final List<Bucket> buckets;
    private final long iopsSize;
    private final Ticker ticker;
    private long lastLeak;

    private ThrottleGroup(String id, List<Bucket> buckets, long iopsSize, Ticker ticker) {
        this.id = id;
        this.buckets = buckets;
        this.iopsSize = iopsSize;
        this.ticker = ticker;
        this.lastLeak = ticker.nanoTime();
    }

    /**
     * A group from QEMU's keys: {@code limits.bps-total}, {@code limits.bps-read},
     * {@code limits.bps-write}, {@code limits.iops-total}, {@code limits.iops-read},
     * {@code limits.iops-write}, each with {@code -max} and {@code -max-length}, and
     * {@code limits.iops-size}. Values are whole numbers.
     *
     * @throws InvalidOptionException with QEMU's message for a key or a combination it refuses
     */
    public static ThrottleGroup of(String id, Map<String, String> properties, Ticker ticker)
            throws InvalidOptionException {
        Map<String, Long> values = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : properties.entrySet()) {
            if (!isKey(e.getKey())) {
                throw new InvalidOptionException("Property 'throttle-group." + e.getKey() + "' not found");
            }
            long value;
            try {
                value = Long.parseLong(e.getValue().strip());
            } catch (NumberFormatException notNumber) {
                throw new InvalidOptionException("Parameter '" + e.getKey() + "' expects uint64");
            }
            values.put(e.getKey().substring(PREFIX.length()), value);
        }
        List<Bucket> buckets = new ArrayList<>();
        for (String kind : KINDS) {
            long avg = values.getOrDefault(kind, 0L);
            long max = values.getOrDefault(kind + "-max", 0L);
            long length = values.getOrDefault(kind + "-max-length", 1L);
            if (avg < 0 || max < 0 || avg > VALUE_MAX || max > VALUE_MAX) {
                throw new InvalidOptionException("bps/iops/max values must be within [0, " + VALUE_MAX + "]");
            }
            if (max > 0 && avg == 0) {
                throw new InvalidOptionException("bps_max/iops_max require corresponding bps/iops values");
            }
            if (max > 0 && max < avg) {
                throw new InvalidOptionException("bps_max/iops_max cannot be lower than bps/iops values");
            }
            if (length < 1 || (length > 1 && max == 0)) {
                throw new InvalidOptionException(length < 1 ? "the burst length cannot be 0"
                        : "burst length set without burst rate");
            }
            if (avg > 0) {
                String direction = kind.substring(kind.indexOf('-') + 1);
                Boolean write = direction.equals("total") ? null : direction.equals("write");
                buckets.add(new Bucket(kind, kind.startsWith("bps"), write, avg, max, length));
            }
        }
        for (String unit : new String[] {"bps", "iops"}) {
            if (values.getOrDefault(unit + "-total", 0L) > 0
                    && (values.getOrDefault(unit + "-read", 0L) > 0 || values.getOrDefault(unit + "-write", 0L) > 0)) {
                throw new InvalidOptionException("bps/iops/max total values and read/write values cannot be used at the same time");
            }
        }
        long iopsSize = values.getOrDefault("iops-size", 0L);
        if (iopsSize < 0 || iopsSize > VALUE_MAX) {
            throw new InvalidOptionException("bps/iops/max values must be within [0, " + VALUE_MAX + "]");
        }
        return new ThrottleGroup(id, List.copyOf(buckets), iopsSize, ticker);
    }

    private static boolean isKey(String key) {
        if (!key.startsWith(PREFIX)) {
            return false;
        }
        String rest = key.substring(PREFIX.length());
        if (rest.equals("iops-size")) {
            return true;
        }
        for (String kind : KINDS) {
            if (rest.equals(kind) || rest.equals(kind + "-max") || rest.equals(kind + "-max-length")) {
                return true;
            }
        }
        return false;
    }

    /** @return the group's id */
    public String id() {
        return id;
    }

    /** @return whether any limit is set */
    public boolean limits() {
        return !buckets.isEmpty();
    }

    /**
     * Admits a request of {@code bytes}: waits (through the ticker) until its buckets have room,
     * then counts it.
     *
     * @throws InterruptedIOException when the wait is interrupted
     */
    public synchronized void account(boolean write, long bytes) throws InterruptedIOException {
        while (true) {
            leak();
            double waitSeconds = 0;
            for (Bucket bucket : buckets) {
                if (bucket.counts(write) && bucket.level > bucket.size) {
                    waitSeconds = Math.max(waitSeconds, (bucket.level - bucket.size) / bucket.avg);
                }
            }
            if (waitSeconds <= 0) {
                break;
            }
            ticker.sleep(Math.max(1, (long) Math.ceil(waitSeconds * 1e9)));
        }
        double requests = iopsSize > 0 && bytes > iopsSize ? (double) bytes / iopsSize : 1;
        for (Bucket bucket : buckets) {
            if (bucket.counts(write)) {
                bucket.level += bucket.bytes ? bytes : requests;
            }
        }
    }

    private void leak() {
        long now = ticker.nanoTime();
        double seconds = (now - lastLeak) / 1e9;
        lastLeak = now;
        if (seconds <= 0) {
            return;
        }
        for (Bucket bucket : buckets) {
            bucket.level = Math.max(0, bucket.level - bucket.avg * seconds);
        }
    }
}

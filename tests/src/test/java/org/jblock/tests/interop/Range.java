package org.jblock.tests.interop;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** A run of bytes of a virtual disk: {@code [start, start + length)}. */
record Range(long start, long length) {

    Range {
        if (start < 0 || length < 0) {
            throw new IllegalArgumentException("bad range start " + start + " length " + length);
        }
    }

    long end() {
        return start + length;
    }

    /** @return this range widened by {@code margin} on each side, kept within {@code [0, size)} */
    Range widened(long margin, long size) {
        long from = Math.max(0, start - margin);
        return new Range(from, Math.min(size, end() + margin) - from);
    }

    /** @return the ranges sorted, with overlapping and touching ones joined, empty ones dropped */
    static List<Range> union(List<Range> ranges) {
        List<Range> sorted = new ArrayList<>(ranges);
        sorted.removeIf(r -> r.length == 0);
        sorted.sort(Comparator.comparingLong(Range::start));
        List<Range> joined = new ArrayList<>();
        for (Range r : sorted) {
            Range last = joined.isEmpty() ? null : joined.get(joined.size() - 1);
            if (last != null && r.start <= last.end()) {
                joined.set(joined.size() - 1, new Range(last.start, Math.max(last.end(), r.end()) - last.start));
            } else {
                joined.add(r);
            }
        }
        return joined;
    }
}

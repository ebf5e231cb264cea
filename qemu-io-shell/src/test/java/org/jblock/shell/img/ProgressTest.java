package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.jblock.api.ProgressListener;
import org.junit.jupiter.api.Test;

class ProgressTest {

    /** Records what a bar is told, as "total N" and "+N". */
    private static final class RecordingBar implements Progress {
        final List<String> calls = new ArrayList<>();

        @Override
        public void total(long units) {
            calls.add("total " + units);
        }

        @Override
        public void advance(long units) {
            calls.add("+" + units);
        }

        @Override
        public void close() {
            calls.add("close");
        }
    }

    @Test
    void a_library_listener_moves_the_bar_by_the_difference_and_follows_a_growing_total() {
        RecordingBar bar = new RecordingBar();
        ProgressListener listener = bar.listener();

        listener.progress(8, 8);
        listener.progress(9, 11);
        listener.progress(11, 11);

        assertEquals(List.of("total 8", "+8", "total 11", "+1", "total 11", "+2"), bar.calls);
    }
}

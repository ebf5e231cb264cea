package org.jblock.shell.img;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Locale;

import org.jblock.api.ProgressListener;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * A progress bar for long work ({@code convert -p}, {@code compare -p}, {@code bench}), drawn on the
 * terminal through JLine and redrawn in place; off a terminal, qemu-img's {@code -p} lines when
 * they were asked for ({@link #lines}), else nothing.
 *
 * <p>Thread safe: workers report completed bytes from several threads.
 */
interface Progress extends AutoCloseable {

    /** Shows nothing. */
    Progress NONE = new Progress() {
        @Override
        public void advance(long units) {
        }

        @Override
        public void close() {
        }
    };

    /** Sets how many units the work has in all. */
    default void total(long units) {
    }

    /** Adds {@code units} done. */
    void advance(long units);

    /** @return a listener for a library operation ({@code BlockImage.check}) that moves this bar */
    default ProgressListener listener() {
        return new ProgressListener() {
            private long shown;

            @Override
            public synchronized void progress(long done, long units) {
                total(units);
                // Workers report from several threads: a late, smaller count moves nothing.
                if (done > shown) {
                    advance(done - shown);
                    shown = done;
                }
            }
        };
    }

    /** Draws 100% and ends the line. */
    @Override
    void close();

    /**
     * qemu-img's {@code -p} lines for output that is not a terminal: {@code "    (42.17/100%)\r"} at
     * 0 %, whenever the work moved on by more than {@code stepPercent}, and 100 % at the end, then
     * a line end.
     */
    static Progress lines(PrintWriter out, double stepPercent) {
        return new Lines(out, stepPercent);
    }

    /**
     * @return a bar on the system terminal, or {@link #NONE} when there is none. The terminal
     *         leaves signals alone: Ctrl-C stays the JVM's, which runs the shutdown hooks (a convert's
     *         removes its unfinished destination) and exits with 130.
     */
    static Progress onTerminal() {
        try {
            Terminal terminal = TerminalBuilder.builder().system(true).dumb(false).nativeSignals(false).build();
            return new TerminalBar(terminal);
        } catch (IOException | IllegalStateException | UncheckedIOException e) {
            return NONE;
        }
    }

    /** qemu-img's progress lines. */
    final class Lines implements Progress {
        private final PrintWriter out;
        private final double step;
        private long total = 1;
        private long done;
        private double printed;

        Lines(PrintWriter out, double step) {
            this.out = out;
            this.step = step;
            print(0);
        }

        @Override
        public synchronized void total(long units) {
            total = Math.max(1, units);
        }

        @Override
        public synchronized void advance(long units) {
            done = Math.min(total, done + units);
            double percent = done * 100.0 / total;
            if (percent - printed > step) {
                print(percent);
            }
        }

        private void print(double percent) {
            printed = percent;
            out.print(String.format(Locale.ROOT, "    (%3.2f/100%%)\r", percent));
            out.flush();
        }

        @Override
        public synchronized void close() {
            print(100);
            out.print("\n");
            out.flush();
        }
    }

    /** The bar itself: {@code [#####     ]  42.17%}, redrawn at most once per hundredth of the work. */
    final class TerminalBar implements Progress {
        private static final int MIN_WIDTH = 20;
        private final Terminal terminal;
        private final PrintWriter writer;
        private long total = 1;
        private long done;
        private long lastHundredths = -1;

        TerminalBar(Terminal terminal) {
            this.terminal = terminal;
            this.writer = terminal.writer();
        }

        @Override
        public synchronized void total(long units) {
            total = Math.max(1, units);
            draw();
        }

        @Override
        public synchronized void advance(long units) {
            done = Math.min(total, done + units);
            draw();
        }

        private void draw() {
            long hundredths = done * 10_000 / total;
            if (hundredths == lastHundredths) {
                return;
            }
            lastHundredths = hundredths;
            String figure = String.format(Locale.ROOT, " %6.2f%%", hundredths / 100.0);
            int barWidth = Math.max(MIN_WIDTH, Math.min(60, terminal.getWidth() - figure.length() - 3));
            int filled = (int) (barWidth * hundredths / 10_000);
            writer.print("\r[" + "#".repeat(filled) + " ".repeat(barWidth - filled) + "]" + figure);
            writer.flush();
        }

        @Override
        public synchronized void close() {
            done = total;
            draw();
            writer.println();
            writer.flush();
            try {
                terminal.close();
            } catch (IOException e) {
                // The bar is decoration; a terminal that fails to close loses nothing.
            }
        }
    }
}

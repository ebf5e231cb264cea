package org.jblock.protocol.blkdebug;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The rules of one blkdebug node at work: its state (starting at 1), the {@code inject-error}
 * rules an event has switched on, and the check every request passes. Safe for concurrent use.
 *
 * <p>As in QEMU: when an event fires, the rules on it whose state matches run against the state
 * the event found; its error rules replace the active ones (newest first), and a {@code set-state}
 * rule sets the state the next event sees. Rules on the event {@code none} are active from the start.
 */
final class Injector {
    private final List<Rule> rules;
    private final List<Rule> active = new ArrayList<>();
    private int state = 1;

    Injector(List<Rule> rules) {
        this.rules = List.copyOf(rules);
        fire(Event.NONE);
    }

    /** Runs the rules on {@code event}. */
    synchronized void fire(String event) {
        int newState = state;
        boolean injected = false;
        for (Rule rule : rules) {
            if (!rule.event().equals(event) || (rule.state() != 0 && rule.state() != state)) {
                continue;
            }
            if (rule.kind() == Rule.Kind.SET_STATE) {
                newState = rule.newState();
            } else {
                if (!injected) {
                    active.clear();
                    injected = true;
                }
                active.add(0, rule);
            }
        }
        state = newState;
    }

    /**
     * Lets a request pass, or fails it as the first active rule that covers it says.
     *
     * @throws InjectedError the error of the rule that hit
     */
    synchronized void check(IoType type, long offset, long length) throws InjectedError {
        for (Rule rule : active) {
            if (rule.hits(type, offset, length)) {
                if (rule.once()) {
                    active.remove(rule);
                }
                throw new InjectedError(rule.errno());
            }
        }
    }

    /** A request passed on to the node below. */
    @FunctionalInterface
    interface Request {
        void run() throws IOException;
    }

    /**
     * A write as QEMU's block layer makes it on the node: {@code pwritev} fires, the request is
     * checked, passed on, and {@code pwritev_done} fires.
     */
    void write(IoType type, long offset, long length, Request write) throws IOException {
        fire(Event.PWRITEV);
        if (type == IoType.WRITE_ZEROES) {
            fire(Event.PWRITEV_ZERO);
        }
        check(type, offset, length);
        write.run();
        fire(Event.PWRITEV_DONE);
    }

    /** A flush: {@code flush_to_os} fires, the request is checked, {@code flush_to_disk} fires, and it is passed on. */
    void flush(Request flush) throws IOException {
        fire(Event.FLUSH_TO_OS);
        check(IoType.FLUSH, 0, 0);
        fire(Event.FLUSH_TO_DISK);
        flush.run();
    }

    synchronized int state() {
        return state;
    }

    /** A failure a rule injected: its message is the error number's text, as the C library gives it. */
    static final class InjectedError extends IOException {
        private static final long serialVersionUID = 1L;

        private final int errno;

        InjectedError(int errno) {
            super(Errno.text(errno));
            this.errno = errno;
        }

        int errno() {
            return errno;
        }
    }
}

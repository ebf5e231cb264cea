package org.jblock.shell.io;

import picocli.CommandLine.Command;

/**
 * {@code break}, {@code remove_break}, {@code resume} and {@code wait_break}: QEMU's blkdebug
 * breakpoints. No jblock driver offers them, so each refuses as qemu-io does on a node without
 * blkdebug ({@code wait_break}, which would wait forever there, refuses too).
 */
final class BreakpointCommands {
    private static final String NOT_SUPPORTED = ": Operation not supported";

    private BreakpointCommands() {
    }

    @Command(name = "break")
    static final class Break extends IoCommand {
        @Override
        public Integer call() {
            return fail("Could not set breakpoint" + NOT_SUPPORTED);
        }
    }

    @Command(name = "remove_break")
    static final class RemoveBreak extends IoCommand {
        @Override
        public Integer call() {
            return fail("Could not remove breakpoint " + operands.get(0) + NOT_SUPPORTED);
        }
    }

    @Command(name = "resume")
    static final class Resume extends IoCommand {
        @Override
        public Integer call() {
            return fail("Could not resume request" + NOT_SUPPORTED);
        }
    }

    @Command(name = "wait_break")
    static final class WaitBreak extends IoCommand {
        @Override
        public Integer call() {
            return fail("Could not wait for breakpoint " + operands.get(0) + NOT_SUPPORTED);
        }
    }
}

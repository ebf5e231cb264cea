package org.jblock.shell;

/**
 * The name a tool gives itself in prompts and messages. Like qemu's tools, which take it from
 * argv[0], a tool started through a link named {@code qemu-io} or {@code qemu-img} calls itself
 * that: the launcher passes the name it was called by as the system property
 * {@value #PROPERTY}. Without it (tests, embedding) the tool keeps its own name.
 */
public final class ProgramName {
    /** The system property the launcher sets to the name it was called by. */
    public static final String PROPERTY = "jblock.program";

    private ProgramName() {
    }

    /** @return the name the tool was called by, or {@code ownName} when that is unknown */
    public static String or(String ownName) {
        String called = System.getProperty(PROPERTY);
        return called == null || called.isBlank() ? ownName : called;
    }
}

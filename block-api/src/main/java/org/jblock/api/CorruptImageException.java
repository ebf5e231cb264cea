package org.jblock.api;

/**
 * An image whose on-disk structures are damaged or inconsistent.
 *
 * <p>Carries where the damage is: the file, the structure and field, the byte offset in the file
 * (or -1 when it has none), and what was expected against what was found. The message puts all of
 * it in one line, for example:
 * {@code t.vhd: corrupt VHD dynamic header: Invalid block size 0 (field block_size at offset 544)}.
 */
public class CorruptImageException extends BlockException {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final String structure;
    private final String field;
    private final String problem;
    private final long offset;
    private final String expected;
    private final String actual;

    /**
     * @param file      the image's name for messages
     * @param structure the damaged structure, e.g. "VHD footer"
     * @param field     the field, or null when the structure as a whole is damaged
     * @param offset    the byte offset of the field in the file, or -1
     * @param problem   what is wrong, in words (QEMU's wording where it has one)
     * @param expected  what a valid image holds there, or null
     * @param actual    what this image holds, or null
     */
    public CorruptImageException(String file, String structure, String field, long offset,
                                 String problem, String expected, String actual) {
        super(format(file, structure, field, offset, problem, expected, actual));
        this.file = file;
        this.structure = structure;
        this.field = field;
        this.problem = problem;
        this.offset = offset;
        this.expected = expected;
        this.actual = actual;
    }

    /** A damaged structure with no single field or offset to blame. */
    public CorruptImageException(String file, String structure, String problem) {
        this(file, structure, null, -1, problem, null, null);
    }

    private static String format(String file, String structure, String field, long offset,
                                 String problem, String expected, String actual) {
        StringBuilder sb = new StringBuilder();
        sb.append(file).append(": corrupt ").append(structure).append(": ").append(problem);
        StringBuilder where = new StringBuilder();
        if (field != null) {
            where.append("field ").append(field);
        }
        if (offset >= 0) {
            where.append(where.length() > 0 ? " at offset " : "offset ").append(offset);
        }
        if (expected != null || actual != null) {
            if (where.length() > 0) {
                where.append(": ");
            }
            where.append("actual ").append(actual).append(" vs expected ").append(expected);
        }
        if (where.length() > 0) {
            sb.append(" (").append(where).append(')');
        }
        return sb.toString();
    }

    public String file() { return file; }

    public String structure() { return structure; }

    /** @return the damaged field, or null */
    public String field() { return field; }

    /**
     * @return what is wrong, in words alone (QEMU's wording where it has one, e.g.
     *         {@code Invalid block size 0}): what a qemu-compatible tool says when the image does not open
     */
    public String problem() { return problem; }

    /** @return the byte offset of the damage in the file, or -1 */
    public long offset() { return offset; }

    /** @return what a valid image holds, or null */
    public String expected() { return expected; }

    /** @return what this image holds, or null */
    public String actual() { return actual; }
}

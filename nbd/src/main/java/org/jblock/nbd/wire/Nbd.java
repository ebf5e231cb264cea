package org.jblock.nbd.wire;

/**
 * The numbers of the NBD protocol (the NetworkBlockDevice project's {@code doc/proto.md}): magic
 * values, handshake and transmission flags, options, reply types, commands and error values.
 * Every integer on the wire is big-endian.
 */
public final class Nbd {
    /** The IANA port. */
    public static final int DEFAULT_PORT = 10809;
    /** The longest string (export name, message, context name) the protocol allows. */
    public static final int MAX_STRING = 4096;
    /** The largest payload a server must accept, and the maximum block size jblock advertises (32 MiB). */
    public static final int MAX_PAYLOAD = 32 << 20;

    public static final long NBDMAGIC = 0x4e42444d41474943L;
    public static final long IHAVEOPT = 0x49484156454F5054L;
    /** The old-style handshake's second magic. */
    public static final long CLISERV_MAGIC = 0x00420281861253L;
    public static final long OPTION_REPLY_MAGIC = 0x3e889045565a9L;
    public static final int REQUEST_MAGIC = 0x25609513;
    public static final int SIMPLE_REPLY_MAGIC = 0x67446698;
    public static final int STRUCTURED_REPLY_MAGIC = 0x668e33ef;

    /** Handshake flags (server) and client flags: the same two bits. */
    public static final int FLAG_FIXED_NEWSTYLE = 1;
    public static final int FLAG_NO_ZEROES = 2;

    public static final int OPT_EXPORT_NAME = 1;
    public static final int OPT_ABORT = 2;
    public static final int OPT_LIST = 3;
    public static final int OPT_STARTTLS = 5;
    public static final int OPT_INFO = 6;
    public static final int OPT_GO = 7;
    public static final int OPT_STRUCTURED_REPLY = 8;
    public static final int OPT_LIST_META_CONTEXT = 9;
    public static final int OPT_SET_META_CONTEXT = 10;

    public static final int REP_ACK = 1;
    public static final int REP_SERVER = 2;
    public static final int REP_INFO = 3;
    public static final int REP_META_CONTEXT = 4;
    /** Error replies have the top bit set. */
    public static final int REP_FLAG_ERROR = 1 << 31;
    public static final int REP_ERR_UNSUP = REP_FLAG_ERROR | 1;
    public static final int REP_ERR_POLICY = REP_FLAG_ERROR | 2;
    public static final int REP_ERR_INVALID = REP_FLAG_ERROR | 3;
    public static final int REP_ERR_PLATFORM = REP_FLAG_ERROR | 4;
    public static final int REP_ERR_TLS_REQD = REP_FLAG_ERROR | 5;
    public static final int REP_ERR_UNKNOWN = REP_FLAG_ERROR | 6;
    public static final int REP_ERR_SHUTDOWN = REP_FLAG_ERROR | 7;
    public static final int REP_ERR_BLOCK_SIZE_REQD = REP_FLAG_ERROR | 8;
    public static final int REP_ERR_TOO_BIG = REP_FLAG_ERROR | 9;

    public static final int INFO_EXPORT = 0;
    public static final int INFO_NAME = 1;
    public static final int INFO_DESCRIPTION = 2;
    public static final int INFO_BLOCK_SIZE = 3;

    public static final int FLAG_HAS_FLAGS = 1;
    public static final int FLAG_READ_ONLY = 1 << 1;
    public static final int FLAG_SEND_FLUSH = 1 << 2;
    public static final int FLAG_SEND_FUA = 1 << 3;
    public static final int FLAG_ROTATIONAL = 1 << 4;
    public static final int FLAG_SEND_TRIM = 1 << 5;
    public static final int FLAG_SEND_WRITE_ZEROES = 1 << 6;
    public static final int FLAG_SEND_DF = 1 << 7;
    public static final int FLAG_CAN_MULTI_CONN = 1 << 8;
    public static final int FLAG_SEND_CACHE = 1 << 10;
    public static final int FLAG_SEND_FAST_ZERO = 1 << 11;

    public static final int CMD_READ = 0;
    public static final int CMD_WRITE = 1;
    public static final int CMD_DISC = 2;
    public static final int CMD_FLUSH = 3;
    public static final int CMD_TRIM = 4;
    public static final int CMD_CACHE = 5;
    public static final int CMD_WRITE_ZEROES = 6;
    public static final int CMD_BLOCK_STATUS = 7;

    public static final int CMD_FLAG_FUA = 1;
    public static final int CMD_FLAG_NO_HOLE = 1 << 1;
    public static final int CMD_FLAG_DF = 1 << 2;
    public static final int CMD_FLAG_REQ_ONE = 1 << 3;
    public static final int CMD_FLAG_FAST_ZERO = 1 << 4;

    public static final int REPLY_FLAG_DONE = 1;
    public static final int REPLY_TYPE_NONE = 0;
    public static final int REPLY_TYPE_OFFSET_DATA = 1;
    public static final int REPLY_TYPE_OFFSET_HOLE = 2;
    public static final int REPLY_TYPE_BLOCK_STATUS = 5;
    /** Chunk types with this bit set are errors; a client may skip an unknown one. */
    public static final int REPLY_TYPE_FLAG_ERROR = 1 << 15;
    public static final int REPLY_TYPE_ERROR = REPLY_TYPE_FLAG_ERROR | 1;
    public static final int REPLY_TYPE_ERROR_OFFSET = REPLY_TYPE_FLAG_ERROR | 2;

    public static final int EPERM = 1;
    public static final int EIO = 5;
    public static final int ENOMEM = 12;
    public static final int EINVAL = 22;
    public static final int ENOSPC = 28;
    public static final int EOVERFLOW = 75;
    public static final int ENOTSUP = 95;
    public static final int ESHUTDOWN = 108;

    /** The one metadata context jblock serves: allocation, as {@link #STATE_HOLE} and {@link #STATE_ZERO}. */
    public static final String BASE_ALLOCATION = "base:allocation";
    public static final int STATE_HOLE = 1;
    public static final int STATE_ZERO = 2;

    private Nbd() {
    }

    /** @return the option's name for messages, as the specification spells it */
    public static String optionName(int option) {
        switch (option) {
            case OPT_EXPORT_NAME: return "export name";
            case OPT_ABORT: return "abort";
            case OPT_LIST: return "list";
            case OPT_STARTTLS: return "starttls";
            case OPT_INFO: return "info";
            case OPT_GO: return "go";
            case OPT_STRUCTURED_REPLY: return "structured reply";
            case OPT_LIST_META_CONTEXT: return "list meta context";
            case OPT_SET_META_CONTEXT: return "set meta context";
            default: return "option " + Integer.toUnsignedString(option);
        }
    }

    /** @return the command's name for messages */
    public static String commandName(int command) {
        switch (command) {
            case CMD_READ: return "read";
            case CMD_WRITE: return "write";
            case CMD_DISC: return "disconnect";
            case CMD_FLUSH: return "flush";
            case CMD_TRIM: return "trim";
            case CMD_CACHE: return "cache";
            case CMD_WRITE_ZEROES: return "write zeroes";
            case CMD_BLOCK_STATUS: return "block status";
            default: return "command " + command;
        }
    }

    /** @return the error value's name and meaning, for messages */
    public static String errorName(int error) {
        switch (error) {
            case EPERM: return "Operation not permitted";
            case EIO: return "Input/output error";
            case ENOMEM: return "Cannot allocate memory";
            case EINVAL: return "Invalid argument";
            case ENOSPC: return "No space left on device";
            case EOVERFLOW: return "Value too large for defined data type";
            case ENOTSUP: return "Operation not supported";
            case ESHUTDOWN: return "Server is shutting down";
            default: return "error " + Integer.toUnsignedString(error);
        }
    }
}

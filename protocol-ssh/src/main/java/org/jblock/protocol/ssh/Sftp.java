package org.jblock.protocol.ssh;

/** The numbers of SFTP version 3 (draft-ietf-secsh-filexfer-02) that the client uses. */
final class Sftp {
    static final int VERSION = 3;

    static final byte INIT = 1;
    static final byte VERSION_REPLY = 2;
    static final byte OPEN = 3;
    static final byte CLOSE = 4;
    static final byte READ = 5;
    static final byte WRITE = 6;
    static final byte FSTAT = 8;
    static final byte FSETSTAT = 10;
    static final byte EXTENDED = (byte) 200;
    static final byte STATUS = 101;
    static final byte HANDLE = 102;
    static final byte DATA = 103;
    static final byte ATTRS = 105;

    static final int READ_FLAG = 0x01;
    static final int WRITE_FLAG = 0x02;
    static final int CREATE_FLAG = 0x08;
    static final int TRUNCATE_FLAG = 0x10;

    static final int ATTR_SIZE = 0x01;
    static final int ATTR_UIDGID = 0x02;
    static final int ATTR_PERMISSIONS = 0x04;
    static final int ATTR_ACMODTIME = 0x08;
    static final int ATTR_EXTENDED = 0x80000000;

    static final int OK = 0;
    static final int EOF = 1;
    static final int NO_SUCH_FILE = 2;
    static final int PERMISSION_DENIED = 3;

    /** The OpenSSH extension that makes a file's writes durable. */
    static final String FSYNC = "fsync@openssh.com";

    /** The largest piece read or written in one request: every server takes 32 KiB. */
    static final int PIECE = 32 * 1024;

    /** The largest reply accepted: a piece and its header, with room for a server's long status text. */
    static final int MAX_PACKET = 256 * 1024;

    private Sftp() {
    }

    /** @return the text of a status code, for messages when the server sends none */
    static String describe(int status) {
        switch (status) {
            case EOF: return "End of file";
            case NO_SUCH_FILE: return "No such file";
            case PERMISSION_DENIED: return "Permission denied";
            case 4: return "Failure";
            case 5: return "Bad message";
            case 6: return "No connection";
            case 7: return "Connection lost";
            case 8: return "Operation unsupported";
            default: return "status " + status;
        }
    }
}

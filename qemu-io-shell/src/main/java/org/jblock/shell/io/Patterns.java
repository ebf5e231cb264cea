package org.jblock.shell.io;

/** Pattern checks of read data. */
final class Patterns {
    private Patterns() {
    }

    /** @return whether {@code data[from, from+length)} is all {@code pattern} */
    static boolean matches(byte[] data, int from, int length, int pattern) {
        byte b = (byte) pattern;
        for (int i = from; i < from + length; i++) {
            if (data[i] != b) {
                return false;
            }
        }
        return true;
    }

    /** @return {@code length} bytes of {@code pattern} */
    static byte[] filled(int length, int pattern) {
        byte[] data = new byte[length];
        java.util.Arrays.fill(data, (byte) pattern);
        return data;
    }
}

package org.jblock.tests.interop;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A writer of differencing VHDs independent of jblock's driver, from the specification alone: one
 * block size of 2 MiB, the locators given (code and payload), blocks given as bitmap and data. Used to
 * prove that jblock finds and reads parents the way other writers record them.
 */
final class HandMadeChild {
    static final int W2RU = 0x57327275;
    static final int W2KU = 0x57326B75;
    static final int MACX = 0x4D616358;
    private static final int BLOCK = 2 << 20;

    /** A locator: its platform code and the bytes of its data. */
    record Locator(int code, byte[] payload) {
        static Locator windows(int code, String path) {
            return new Locator(code, path.getBytes(StandardCharsets.UTF_16LE));
        }

        static Locator macx(String url) {
            return new Locator(MACX, url.getBytes(StandardCharsets.UTF_8));
        }
    }

    private HandMadeChild() {
    }

    /**
     * @param parentFooter the parent's 512-byte footer (its UUID and timestamp are recorded)
     * @param parentName   the header's parent name (UTF-16BE), or empty
     * @param blocks       block index to sector bitmap (512 bytes) and 2 MiB of data
     */
    static void write(Path child, long size, byte[] parentFooter, String parentName, List<Locator> locators,
                      Map<Integer, byte[][]> blocks) throws IOException {
        int entries = (int) ((size + BLOCK - 1) / BLOCK);
        long batAt = 1536;
        long locatorAt = batAt + roundUp(entries * 4L);
        long dataAt = locatorAt + 512L * locators.size();
        long blocksAt = dataAt;
        long footerAt = blocksAt + (long) blocks.size() * (512 + BLOCK);
        ByteBuffer file = ByteBuffer.allocate((int) footerAt + 512);

        byte[] footer = new byte[512];
        ByteBuffer f = ByteBuffer.wrap(footer);
        f.put("conectix".getBytes(StandardCharsets.US_ASCII)).putInt(2).putInt(0x00010000).putLong(512)
                .putInt(0).put("hand".getBytes(StandardCharsets.US_ASCII)).putInt(0x00010000)
                .put("Wi2k".getBytes(StandardCharsets.US_ASCII)).putLong(size).putLong(size);
        f.putInt(56, 0xFFFF10FF).putInt(60, 4);
        for (int i = 0; i < 16; i++) {
            footer[68 + i] = (byte) (0x40 + i);
        }
        f.putInt(64, checksum(footer));

        byte[] header = new byte[1024];
        ByteBuffer h = ByteBuffer.wrap(header);
        h.put("cxsparse".getBytes(StandardCharsets.US_ASCII)).putLong(-1L).putLong(batAt).putInt(0x00010000)
                .putInt(entries).putInt(BLOCK);
        System.arraycopy(parentFooter, 68, header, 40, 16);
        h.putInt(56, ByteBuffer.wrap(parentFooter).getInt(24));
        byte[] name = parentName.getBytes(StandardCharsets.UTF_16BE);
        System.arraycopy(name, 0, header, 64, name.length);
        for (int i = 0; i < locators.size(); i++) {
            Locator l = locators.get(i);
            h.putInt(576 + 24 * i, l.code()).putInt(580 + 24 * i, 512).putInt(584 + 24 * i, l.payload().length)
                    .putLong(592 + 24 * i, locatorAt + 512L * i);
            file.put((int) (locatorAt + 512L * i), l.payload());
        }
        h.putInt(36, checksum(header));

        file.put(0, footer).put(512, header);
        byte[] bat = new byte[(int) roundUp(entries * 4L)];
        Arrays.fill(bat, (byte) 0xFF);
        long at = blocksAt;
        for (Map.Entry<Integer, byte[][]> b : blocks.entrySet()) {
            ByteBuffer.wrap(bat).putInt(b.getKey() * 4, (int) (at / 512));
            file.put((int) at, b.getValue()[0]).put((int) at + 512, b.getValue()[1]);
            at += 512 + BLOCK;
        }
        file.put((int) batAt, bat).put((int) footerAt, footer);
        Files.write(child, file.array());
    }

    private static long roundUp(long n) {
        return (n + 511) / 512 * 512;
    }

    private static int checksum(byte[] bytes) {
        int sum = 0;
        for (byte b : bytes) {
            sum += b & 0xFF;
        }
        return ~sum;
    }
}

package org.jblock.driver.vpc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.jblock.api.BackingImage;
import org.jblock.api.BlockException;
import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.spi.BackingOpener;

/**
 * A differencing image's parent: where to look for it, and how a new child records it.
 *
 * <h2>Finding the parent</h2>
 * The names are tried in this order, as Windows, blktap and DiscUtils between them do: every
 * {@code W2ru} locator (a path relative to the child), every {@code W2ku} locator (an absolute
 * Windows path), every {@code MacX} locator (a {@code file://} URL), then the header's parent name
 * (its last path component, next to the child, as libvhdi's vhdimount does). {@code W2ru} and
 * {@code W2ku} hold UTF-16LE (the parent name field is big-endian; the two differ in every real
 * file), with {@code \} separators and a drive letter, which are turned into a path of this
 * machine. A locator's data length says how long it is; its "data space" (sectors in the
 * specification, bytes in what Windows, blktap and DiscUtils write) is not needed to read it.
 *
 * <h2>Identity</h2>
 * The parent's footer UUID must equal the child's parent UUID, compared as the 16 bytes stored;
 * a mismatch is refused naming both, unless the open option {@code ignore_id_mismatch} accepts it
 * (Hyper-V's {@code -IgnoreIdMismatch}). A parent timestamp that differs from the parent's footer
 * timestamp is only noted: Windows writes 0, DiscUtils the parent's file time, and blktap does not
 * check it.
 */
final class VhdParent {
    static final int W2RU = VhdFooter.fourCC("W2ru");
    static final int W2KU = VhdFooter.fourCC("W2ku");
    static final int MACX = VhdFooter.fourCC("MacX");
    /** Locator data longer than this is not a path (Windows paths are at most 32767 UTF-16 units). */
    private static final int MAX_LOCATOR_BYTES = 65536;
    static final UUID NIL = new UUID(0, 0);

    private VhdParent() {
    }

    /** A name to look for the parent by, and where it came from ("W2ru locator", "parent name"). */
    record Candidate(String name, String source) {
    }

    /** The parent that was opened, and what open noted about it. */
    record Found(BlockImage image, String storedName, List<String> notes) {
    }

    /** @return the names to try, in order, without repeats */
    static List<Candidate> candidates(BlockFile file, DynamicHeader header) throws IOException {
        List<Candidate> found = new ArrayList<>();
        for (int code : new int[] {W2RU, W2KU, MACX}) {
            for (DynamicHeader.ParentLocator locator : header.parentLocators()) {
                if (locator.platformCode() == code) {
                    String decoded = decode(file, locator);
                    if (decoded != null) {
                        add(found, new Candidate(decoded, VhdFooter.fourCCText(code) + " locator"));
                    }
                }
            }
        }
        String name = header.parentNameText();
        if (!name.isEmpty()) {
            int cut = Math.max(name.lastIndexOf('\\'), name.lastIndexOf('/'));
            add(found, new Candidate(name.substring(cut + 1), "parent name"));
        }
        return found;
    }

    private static void add(List<Candidate> found, Candidate candidate) {
        if (!candidate.name().isEmpty() && found.stream().noneMatch(c -> c.name().equals(candidate.name()))) {
            found.add(candidate);
        }
    }

    /** @return the locator's path for this machine, or null when its data is unusable */
    private static String decode(BlockFile file, DynamicHeader.ParentLocator locator) throws IOException {
        int length = locator.dataLength();
        long at = locator.dataOffset();
        if (length <= 0 || length > MAX_LOCATOR_BYTES || at < 0 || at > file.size() - length) {
            return null;
        }
        ByteBuffer bytes = ByteBuffer.allocate(length);
        file.readFully(bytes, at);
        byte[] raw = bytes.array();
        if (locator.platformCode() == MACX) {
            String url = trimNul(new String(raw, StandardCharsets.UTF_8));
            if (!url.startsWith("file://")) {
                return null;
            }
            String path = url.substring("file://".length());
            if (path.startsWith("localhost/")) {
                path = path.substring("localhost".length());
            }
            return percentDecoded(path);
        }
        String windows = trimNul(new String(raw, 0, length & ~1, StandardCharsets.UTF_16LE));
        String path = windows.replace('\\', '/');
        if (path.length() >= 2 && path.charAt(1) == ':' && Character.isLetter(path.charAt(0))) {
            path = path.substring(2);
        }
        while (path.startsWith("./")) {
            path = path.substring(2);
        }
        return path;
    }

    private static String trimNul(String text) {
        int nul = text.indexOf('\0');
        return nul < 0 ? text : text.substring(0, nul);
    }

    private static String percentDecoded(String path) {
        if (path.indexOf('%') < 0) {
            return path;
        }
        try {
            return java.net.URLDecoder.decode(path.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return path;
        }
    }

    /**
     * Opens the parent of the child {@code name} through {@code opener}, trying every candidate.
     *
     * @throws BlockException naming every path tried when none exists, or naming both UUIDs on a
     *                        mismatch (unless {@code ignoreIdMismatch})
     */
    static Found open(String name, BlockFile file, DynamicHeader header, BackingOpener opener,
                      boolean ignoreIdMismatch) throws IOException {
        List<Candidate> candidates = candidates(file, header);
        String wanted = "'" + header.parentNameText() + "' (UUID " + header.parentUniqueId() + ")";
        if (candidates.isEmpty()) {
            throw new BlockException(name + ": Could not open backing file: the differencing image names no parent"
                    + " (no parent locator and no parent name); its parent UUID is " + header.parentUniqueId());
        }
        List<String> tried = new ArrayList<>();
        for (Candidate candidate : candidates) {
            BlockImage parent;
            try {
                parent = opener.open(candidate.name(), null);
            } catch (NoSuchFileException e) {
                tried.add(e.getFile() + " (" + candidate.source() + ")");
                continue;
            }
            try {
                return new Found(parent, candidate.name(), verify(name, header, parent, ignoreIdMismatch));
            } catch (IOException | RuntimeException e) {
                try {
                    parent.close();
                } catch (IOException closing) {
                    e.addSuppressed(closing);
                }
                throw e;
            }
        }
        throw new BlockException(name + ": Could not open backing file: parent " + wanted + " not found; tried "
                + String.join(", ", tried));
    }

    private static List<String> verify(String name, DynamicHeader header, BlockImage parent, boolean ignoreIdMismatch)
            throws IOException {
        List<String> notes = new ArrayList<>();
        Object uuid = parent.info().formatSpecific().get("uuid");
        String expected = header.parentUniqueId().toString();
        boolean rawParent = uuid == null && NIL.equals(header.parentUniqueId());
        if (!rawParent && !expected.equals(uuid)) {
            String actual = uuid == null ? "no UUID (format " + parent.info().format() + ")" : "UUID " + uuid;
            String problem = "the parent '" + parent.name() + "' has " + actual + ", but the child was made from the"
                    + " parent with UUID " + expected;
            if (!ignoreIdMismatch) {
                throw new BlockException(name + ": Could not open backing file: " + problem
                        + " (open with ignore_id_mismatch=on to use it anyway)");
            }
            notes.add(problem + "; accepted by ignore_id_mismatch");
        }
        int stamp = header.parentTimestamp();
        Object parentTime = parent.info().formatSpecific().get("timestamp");
        if (stamp != 0 && parentTime != null && !timestampText(stamp).equals(parentTime)) {
            notes.add("the parent timestamp " + timestampText(stamp) + " differs from the parent's footer timestamp "
                    + parentTime + " (the parent may have changed since the child was made)");
        }
        return notes;
    }

    static String timestampText(int stamp) {
        return java.time.Instant.ofEpochSecond(VhdFooter.EPOCH_SECONDS + Integer.toUnsignedLong(stamp)).toString();
    }

    /**
     * @return the end of the parent locators' data (data length or data space, whichever is larger;
     *         space in sectors when below 512, as the specification has it, in bytes otherwise),
     *         within {@code fileSize}; 0 when there is none. That space is the image's metadata.
     */
    static long locatorsEnd(DynamicHeader header, long fileSize) {
        long end = 0;
        for (DynamicHeader.ParentLocator l : header.parentLocators()) {
            if (l.platformCode() == 0 || l.dataOffset() <= 0 || l.dataOffset() >= fileSize) {
                continue;
            }
            long space = Integer.toUnsignedLong(l.dataSpace());
            space = space < VhdLayout.SECTOR ? space * VhdLayout.SECTOR : space;
            long length = Math.max(Integer.toUnsignedLong(l.dataLength()), space);
            end = Math.max(end, Math.min(fileSize, l.dataOffset() + length));
        }
        return end;
    }

    // ---- a new child, or a child re-pointed ------------------------------------------------------------

    /**
     * What a child records of its parent: the parent's footer UUID (nil for a parent without one, as
     * blktap marks a raw parent), its footer timestamp, and its file name (UTF-16BE, at most 512 bytes).
     */
    record Identity(UUID uniqueId, int timestamp, byte[] name) {
        static Identity of(BackingImage backing) throws IOException {
            Map<String, Object> fields = backing.image().info().formatSpecific();
            UUID id = fields.get("uuid") instanceof String ? UUID.fromString((String) fields.get("uuid")) : NIL;
            int time = fields.get("timestamp") instanceof String
                    ? (int) (Instant.parse((String) fields.get("timestamp")).getEpochSecond() - VhdFooter.EPOCH_SECONDS)
                    : 0;
            byte[] name = parentNameBytes(Path.of(backing.location()).getFileName().toString());
            return new Identity(id, time, name.length > 512 ? Arrays.copyOf(name, 512) : name);
        }

        /** The header of {@code header}'s image, pointing at this parent through {@code locators}. */
        DynamicHeader in(DynamicHeader header, List<DynamicHeader.ParentLocator> locators) {
            return new DynamicHeader(header.cookie(), header.dataOffset(), header.tableOffset(), header.headerVersion(),
                    header.maxTableEntries(), header.blockSize(), 0, uniqueId, timestamp, header.reserved1(), name,
                    locators, header.reserved2()).withChecksum();
        }
    }

    /** The name a child's W2ru locator gives its parent, as it is read back: relative, with '/'. */
    static String relativeName(String childLocation, String parentLocation) {
        Path parent = Path.of(parentLocation).toAbsolutePath().normalize();
        Path childDir = Path.of(childLocation).toAbsolutePath().normalize().getParent();
        return childDir == null ? parent.toString() : childDir.relativize(parent).toString();
    }

    /** The locators of a new child and the bytes of their data, laid out from {@code dataAt}. */
    record Locators(List<DynamicHeader.ParentLocator> entries, byte[] data) {
    }

    /**
     * W2ku (absolute), W2ru (relative to the child) and MacX (a file URL), each in its own slot of
     * whole sectors, data space in bytes as Windows, blktap and DiscUtils write it.
     */
    static Locators locators(String childLocation, String parentLocation, long dataAt) {
        Path parent = Path.of(parentLocation).toAbsolutePath().normalize();
        String relative = relativeName(childLocation, parentLocation);
        List<byte[]> payloads = List.of(
                windows(parent.toString(), false).getBytes(StandardCharsets.UTF_16LE),
                windows(relative, true).getBytes(StandardCharsets.UTF_16LE),
                ("file://" + parent.toUri().getRawPath()).getBytes(StandardCharsets.UTF_8));
        int[] codes = {W2KU, W2RU, MACX};
        List<DynamicHeader.ParentLocator> entries = new ArrayList<>();
        ByteBuffer data = ByteBuffer.allocate(payloads.stream().mapToInt(p -> slot(p.length)).sum());
        long at = dataAt;
        for (int i = 0; i < codes.length; i++) {
            byte[] payload = payloads.get(i);
            int space = slot(payload.length);
            entries.add(new DynamicHeader.ParentLocator(codes[i], space, payload.length, 0, at));
            data.put(payload).position(data.position() + space - payload.length);
            at += space;
        }
        while (entries.size() < 8) {
            entries.add(new DynamicHeader.ParentLocator(0, 0, 0, 0, 0));
        }
        return new Locators(entries, data.array());
    }

    private static int slot(int length) {
        return (int) VhdLayout.roundUp(Math.max(1, length), VhdLayout.SECTOR);
    }

    /** A path in Windows form: {@code \} separators; a relative one starts with {@code .\}. */
    private static String windows(String path, boolean relative) {
        String text = path.replace('/', '\\');
        return relative && !text.startsWith("..") ? ".\\" + text : text;
    }

    /** The parent name field: UTF-16BE. */
    static byte[] parentNameBytes(String name) {
        return name.getBytes(Charset.forName("UTF-16BE"));
    }
}

package org.jblock.shell.img;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.jblock.api.BlockImage;
import org.jblock.api.Extent;
import org.jblock.api.InvalidOptionException;


import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code map [-f fmt] [--output=human|json] [-s start] [-l length] filename}: how the virtual disk is
 * stored. Neighbouring runs merge when every field agrees and their host offsets continue each other
 * (qemu-img's rule), so a VHD's allocated blocks, which a bitmap separates on disk, stay apart. In a
 * backing chain each run names the layer it comes from ({@code depth}, and the file in human output).
 */
@Command(name = "map", description = "Shows how an image's virtual disk is stored.")
final class MapCommand extends ImgCommand {
    /** Block status is asked in windows of this size, so a huge image never yields one huge list. */
    private static final long WINDOW = 1L << 32;

    @Mixin
    ImageOptions options = new ImageOptions();

    @Option(names = {"-s", "--start-offset"}, paramLabel = "offset", description = "First byte to map.")
    String start;

    @Option(names = {"-l", "--max-length"}, paramLabel = "length", description = "Bytes to map at most.")
    String maxLength;

    @Parameters(paramLabel = "filename")
    String filename;

    @Override
    public Integer call() throws IOException {
        try (BlockImage image = open(filename, options.format, true, options.forceShare)) {
            long size = image.size();
            long from = start == null ? 0 : offsetArgument("start offset", start);
            long length = maxLength == null ? Long.MAX_VALUE : offsetArgument("max length", maxLength);
            long end = from >= size ? from : from + Math.min(length, size - from);
            List<Extent> extents = map(image, from, end);
            if (options.json()) {
                printJson(out(), extents);
            } else {
                printHuman(out(), extents, layerNames(image));
            }
        }
        return 0;
    }

    private static long offsetArgument(String what, String text) throws InvalidOptionException {
        try {
            return CreateCommand.parseSize(text);
        } catch (InvalidOptionException e) {
            throw new InvalidOptionException("Invalid " + what + " specified: '" + text + "'");
        }
    }

    /** The merged extents of {@code [from, end)}. */
    static List<Extent> map(BlockImage image, long from, long end) throws IOException {
        List<Extent> merged = new ArrayList<>();
        for (long at = from; at < end; at += WINDOW) {
            for (Extent e : image.blockStatus(at, Math.min(WINDOW, end - at))) {
                Extent.append(merged, e);
            }
        }
        return merged;
    }

    /** qemu-img's JSON entry: {@code present} is qemu's "allocated" ({@link Extent#allocated()}; data is always present). */
    static Map<String, Object> toJson(Extent e) {
        Map<String, Object> json = Json.object();
        json.put("start", e.start());
        json.put("length", e.length());
        json.put("depth", e.depth());
        json.put("present", e.allocated() || e.data());
        json.put("zero", e.zero());
        json.put("data", e.data());
        e.hostOffset().ifPresent(offset -> json.put("offset", offset));
        return json;
    }

    private static void printJson(PrintWriter out, List<Extent> extents) {
        StringBuilder text = new StringBuilder("[");
        for (int i = 0; i < extents.size(); i++) {
            text.append(i == 0 ? "" : ",\n").append(Json.oneLine(toJson(extents.get(i))));
        }
        out.println(text.append(']'));
        out.flush();
    }

    /** The file of each layer, top first: the name given for the top, the names the chain was opened by below. */
    private List<String> layerNames(BlockImage image) {
        List<String> names = new ArrayList<>();
        names.add(filename);
        for (Optional<BlockImage> layer = image.backing(); layer.isPresent(); layer = layer.get().backing()) {
            names.add(layer.get().name());
        }
        return names;
    }

    /**
     * qemu-img's table of the data runs, each naming the file of the layer it comes from. A data run
     * whose driver reports no host mapping (the SPI's default, {@code AbstractBlockImage.doBlockStatus}:
     * stored, but not at one known place) is listed with {@code -} where it is mapped to; qemu-img
     * refuses those (it only has them for compressed or encrypted clusters).
     */
    private void printHuman(PrintWriter out, List<Extent> extents, List<String> layers) {
        out.println(String.format("%-16s%-16s%-16s%s", "Offset", "Length", "Mapped to", "File"));
        for (Extent e : extents) {
            if (!e.data() || e.zero()) {
                continue;
            }
            String mappedTo = e.hostOffset().isPresent() ? hex(e.hostOffset().getAsLong()) : "-";
            out.println(String.format("%-16s%-16s%-16s%s", hex(e.start()), hex(e.length()), mappedTo,
                    layers.get(Math.min(e.depth(), layers.size() - 1))));
        }
        out.flush();
    }

    /** C's {@code %#x}: {@code 0} for zero, else {@code 0x} and lower-case digits. */
    private static String hex(long value) {
        return value == 0 ? "0" : "0x" + Long.toHexString(value);
    }
}

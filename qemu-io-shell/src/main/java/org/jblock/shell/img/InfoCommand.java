package org.jblock.shell.img;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.jblock.api.BlockImage;
import org.jblock.api.ImageInfo;
import org.jblock.api.Sizes;
import org.jblock.registry.ChainMode;


import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code info [-f fmt] [--output=human|json] [-U] [--backing-chain] filename}: qemu-img's lines, or
 * its JSON keys plus the format's own fields under {@code format-specific}. The human form prints
 * the "Format specific information" section only for the formats qemu-img 7.2 prints it for (qcow2,
 * with the keys' dashes as spaces), not for vpc, since scripts compare its lines. Without {@code --backing-chain} the image is opened alone (a missing backing file is still
 * named); with it, every image of the chain, top first (JSON: an array).
 */
@Command(name = "info", description = "Shows an image's format, sizes and format-specific fields.")
final class InfoCommand extends ImgCommand {
    /** The formats whose own fields qemu-img 7.2's human output lists. */
    private static final Set<String> HUMAN_FORMAT_SPECIFIC = Set.of("qcow2");

    @Mixin
    ImageOptions options = new ImageOptions();

    @Option(names = "--backing-chain", description = "Show every image of the backing chain.")
    boolean backingChain;

    @Parameters(paramLabel = "filename")
    String filename;

    @Override
    public Integer call() throws IOException {
        List<String> names = new ArrayList<>();
        List<ImageInfo> infos = new ArrayList<>();
        List<Long> diskSizes = new ArrayList<>();
        try (BlockImage image = open(filename, options.format, true, options.forceShare, "",
                backingChain ? ChainMode.READ_ONLY_BACKING : ChainMode.NO_BACKING)) {
            // The image's own name: QEMU's for a node opened from options (nbd://host:port for
            // json:{"driver": "nbd", ...}), the name as given otherwise.
            names.add(image.name());
            infos.add(image.info());
            diskSizes.add(image.allocatedSize());
            for (Optional<BlockImage> layer = image.backing(); backingChain && layer.isPresent();
                 layer = layer.get().backing()) {
                names.add(layer.get().name());
                infos.add(layer.get().info());
                diskSizes.add(layer.get().allocatedSize());
            }
        }
        if (options.json()) {
            if (backingChain) {
                List<Object> array = new ArrayList<>();
                for (int i = 0; i < names.size(); i++) {
                    array.add(toJson(names.get(i), infos.get(i), diskSizes.get(i)));
                }
                Json.print(out(), array);
            } else {
                Json.print(out(), toJson(names.get(0), infos.get(0), diskSizes.get(0)));
            }
        } else {
            for (int i = 0; i < names.size(); i++) {
                if (i > 0) {
                    out().println();
                }
                printHuman(out(), names.get(i), infos.get(i), diskSizes.get(i));
            }
        }
        return 0;
    }

    /**
     * The keys of qemu-img's {@code ImageInfo}, in its order, and {@code format-specific} when the
     * format has fields; {@code actual-size} only when {@code actualSize} is known (not negative).
     */
    static Map<String, Object> toJson(String filename, ImageInfo info, long actualSize) {
        Map<String, Object> json = Json.object();
        info.backing().map(ImageInfo.Backing::format)
                .ifPresent(format -> json.put("backing-filename-format", format));
        json.put("virtual-size", info.virtualSize());
        json.put("filename", filename);
        if (info.clusterSize() > 0) {
            json.put("cluster-size", info.clusterSize());
        }
        json.put("format", info.format());
        if (actualSize >= 0) {
            json.put("actual-size", actualSize);
        }
        if (!info.formatSpecific().isEmpty()) {
            Map<String, Object> specific = Json.object();
            specific.put("type", info.format());
            specific.put("data", info.formatSpecific());
            json.put("format-specific", specific);
        }
        info.backing().ifPresent(backing -> {
            json.put("full-backing-filename", backing.resolved());
            json.put("backing-filename", backing.name());
        });
        json.put("dirty-flag", false);
        return json;
    }

    private static void printHuman(PrintWriter out, String filename, ImageInfo info, long actualSize) {
        out.println("image: " + filename);
        out.println("file format: " + info.format());
        out.println("virtual size: " + Sizes.human(info.virtualSize()) + " (" + info.virtualSize() + " bytes)");
        out.println("disk size: " + (actualSize >= 0 ? Sizes.human(actualSize) : "unavailable"));
        if (info.clusterSize() > 0) {
            out.println("cluster_size: " + info.clusterSize());
        }
        info.backing().ifPresent(backing -> {
            out.println("backing file: " + backing.name() + (backing.resolved().equals(backing.name()) ? ""
                    : " (actual path: " + backing.resolved() + ")"));
            if (backing.format() != null) {
                out.println("backing file format: " + backing.format());
            }
        });
        if (HUMAN_FORMAT_SPECIFIC.contains(info.format()) && !info.formatSpecific().isEmpty()) {
            out.println("Format specific information:");
            for (Map.Entry<String, Object> field : info.formatSpecific().entrySet()) {
                out.println("    " + field.getKey().replace('-', ' ') + ": " + field.getValue());
            }
        }
        out.flush();
    }
}

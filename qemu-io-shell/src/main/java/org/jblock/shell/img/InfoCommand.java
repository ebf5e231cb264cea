package org.jblock.shell.img;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.jblock.api.BlockImage;
import org.jblock.api.ImageInfo;
import org.jblock.api.Sizes;

import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code info [-f fmt] [--output=human|json] [-U] filename}: qemu-img's lines, or its JSON keys plus
 * the format's own fields under {@code format-specific}. The human form has no "Format specific
 * information" section: qemu-img 7.2 prints none for vpc, and scripts compare its lines.
 */
@Command(name = "info", description = "Shows an image's format, sizes and format-specific fields.")
final class InfoCommand extends ImgCommand {
    @Mixin
    ImageOptions options = new ImageOptions();

    @Parameters(paramLabel = "filename")
    String filename;

    @Override
    public Integer call() throws IOException {
        ImageInfo info;
        try (BlockImage image = open(filename, options.format, true, options.forceShare)) {
            info = image.info();
        }
        // Storage that is no local file (an NBD export, a web server, an option string) has no disk size to tell.
        Path local = imageOpts ? null : Path.of(filename);
        long actualSize = local != null && Files.exists(local) ? DiskUsage.of(local) : -1;
        if (options.json()) {
            Json.print(out(), toJson(filename, info, actualSize));
        } else {
            printHuman(out(), info, actualSize);
        }
        return 0;
    }

    /**
     * The keys of qemu-img's {@code ImageInfo}, in its order, and {@code format-specific} when the
     * format has fields; {@code actual-size} only when {@code actualSize} is known (not negative).
     */
    static ObjectNode toJson(String filename, ImageInfo info, long actualSize) {
        ObjectNode json = Json.object();
        json.put("virtual-size", info.virtualSize());
        json.put("filename", filename);
        if (info.clusterSize() > 0) {
            json.put("cluster-size", info.clusterSize());
        }
        json.put("format", info.format());
        if (actualSize >= 0) {
            json.put("actual-size", actualSize);
        }
        json.put("dirty-flag", false);
        if (!info.formatSpecific().isEmpty()) {
            ObjectNode specific = json.putObject("format-specific");
            specific.put("type", info.format());
            ObjectNode data = specific.putObject("data");
            for (Map.Entry<String, Object> e : info.formatSpecific().entrySet()) {
                data.putPOJO(e.getKey(), e.getValue());
            }
        }
        return json;
    }

    private void printHuman(PrintWriter out, ImageInfo info, long actualSize) {
        out.println("image: " + filename);
        out.println("file format: " + info.format());
        out.println("virtual size: " + Sizes.human(info.virtualSize()) + " (" + info.virtualSize() + " bytes)");
        out.println("disk size: " + (actualSize >= 0 ? Sizes.human(actualSize) : "unavailable"));
        if (info.clusterSize() > 0) {
            out.println("cluster_size: " + info.clusterSize());
        }
        out.flush();
    }
}

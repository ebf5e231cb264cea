package org.jblock.tests.interop;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jblock.tests.interop.RealTools.Result;
import org.jblock.tests.interop.RealTools.Tool;

/** qemu-img and qemu-io, as the interop suites use them. */
final class Qemu {
    private static final Pattern VIRTUAL_SIZE = Pattern.compile("\"virtual-size\":\\s*(\\d+)");
    private static final Pattern CLUSTER_SIZE = Pattern.compile("\"cluster-size\":\\s*(\\d+)");
    private static final Pattern MAP_ENTRY = Pattern.compile(
            "\"start\":\\s*(\\d+),\\s*\"length\":\\s*(\\d+),.*\"data\":\\s*(true|false)(?:,\\s*\"offset\":\\s*(\\d+))?");

    /** What {@code qemu-img info} says of an image. */
    record Info(long virtualSize, OptionalLong clusterSize) {
    }

    /** One entry of {@code qemu-img map --output=json}, reduced to what jblock's block status also tells. */
    record MapEntry(long start, long length, boolean data, OptionalLong offset) {
    }

    private Qemu() {
    }

    /** Checks that qemu-img and qemu-io are there (see {@link RealTools#require}). */
    static void require() {
        RealTools.require(Tool.QEMU_IMG, Tool.QEMU_IO);
    }

    /** {@code qemu-img create -f FORMAT [-o OPTIONS] PATH SIZE} */
    static void create(Path path, String format, String options, long size) throws IOException {
        List<String> args = new ArrayList<>(List.of("create", "-q", "-f", format));
        if (!options.isEmpty()) {
            args.add("-o");
            args.add(options);
        }
        args.add(path.toString());
        args.add(Long.toString(size));
        RealTools.run(Tool.QEMU_IMG, args.toArray(String[]::new)).assertSucceeded();
    }

    /** Runs qemu-io's {@code commands} (e.g. {@code write -P 0x11 0 64k}) on the image, in one process. */
    static void io(Path path, String format, List<String> commands) throws IOException {
        List<String> args = new ArrayList<>(List.of("-f", format));
        for (String command : commands) {
            args.add("-c");
            args.add(command);
        }
        args.add(path.toString());
        Result result = RealTools.run(Tool.QEMU_IO, args.toArray(String[]::new)).assertSucceeded();
        // qemu-io reports a failed command on its output but still exits with 0.
        if (result.stdout().contains("failed") || !result.stderr().isBlank()) {
            fail("qemu-io reported an error: " + result.describe());
        }
    }

    /** {@code qemu-img info --output=json} with the format given (fixed VHDs are not probed by QEMU). */
    static Info info(Path path, String format) throws IOException {
        return parseInfo(RealTools.run(Tool.QEMU_IMG, "info", "--output=json", "-f", format, path.toString())
                .assertSucceeded());
    }

    /** {@code qemu-img info} of a vpc image opened with {@code force_size_calc=MODE}. */
    static Info infoWithSizeCalc(Path path, String mode) throws IOException {
        return parseInfo(RealTools.run(Tool.QEMU_IMG, "info", "--output=json", "--image-opts",
                "driver=vpc,force_size_calc=" + mode + ",file.filename=" + path).assertSucceeded());
    }

    private static Info parseInfo(Result result) {
        Matcher size = VIRTUAL_SIZE.matcher(result.stdout());
        if (!size.find()) {
            fail("no virtual-size in " + result.describe());
        }
        Matcher cluster = CLUSTER_SIZE.matcher(result.stdout());
        return new Info(Long.parseLong(size.group(1)),
                cluster.find() ? OptionalLong.of(Long.parseLong(cluster.group(1))) : OptionalLong.empty());
    }

    /** {@code qemu-img convert -f FROM -O raw SOURCE TARGET}: a sparse raw copy of the virtual disk. */
    static void convertToRaw(Path source, String sourceFormat, Path target) throws IOException {
        convert(source, sourceFormat, target, "raw", "");
    }

    /** {@code qemu-img convert -f FROM -O TO [-o OPTIONS] SOURCE TARGET} */
    static void convert(Path source, String sourceFormat, Path target, String targetFormat, String options)
            throws IOException {
        List<String> args = new ArrayList<>(List.of("convert", "-f", sourceFormat, "-O", targetFormat));
        if (!options.isEmpty()) {
            args.add("-o");
            args.add(options);
        }
        args.add(source.toString());
        args.add(target.toString());
        RealTools.run(Tool.QEMU_IMG, args.toArray(String[]::new)).assertSucceeded();
    }

    /** {@code qemu-img compare -f raw -F FORMAT EXPECTED IMAGE}, strict about sizes (-s is not used). */
    static Result compare(Path expectedRaw, Path image, String imageFormat) throws IOException {
        return RealTools.run(Tool.QEMU_IMG, "compare", "-f", "raw", "-F", imageFormat,
                expectedRaw.toString(), image.toString());
    }

    /** {@code qemu-img map --output=json}, with the format given. */
    static List<MapEntry> map(Path path, String format) throws IOException {
        return parseMap(RealTools.run(Tool.QEMU_IMG, "map", "--output=json", "-f", format, path.toString())
                .assertSucceeded());
    }

    /** {@code qemu-img map --output=json --image-opts}: the image QEMU's option string describes. */
    static List<MapEntry> mapImageOpts(String options) throws IOException {
        return parseMap(RealTools.run(Tool.QEMU_IMG, "map", "--output=json", "--image-opts", options)
                .assertSucceeded());
    }

    private static List<MapEntry> parseMap(Result result) {
        List<MapEntry> entries = new ArrayList<>();
        for (String line : result.stdout().split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            Matcher m = MAP_ENTRY.matcher(line);
            if (!m.find()) {
                fail("unexpected qemu-img map line '" + line + "' in " + result.describe());
            }
            entries.add(new MapEntry(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)),
                    Boolean.parseBoolean(m.group(3)),
                    m.group(4) == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(m.group(4)))));
        }
        return entries;
    }
}

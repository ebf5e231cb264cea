package org.jblock.shell.img;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The space a file takes on its disk (qemu-img's "disk size" / {@code actual-size}): the allocated
 * blocks, which for a sparse image is far less than its length. The JDK exposes no block count, so
 * it is asked of {@code stat}; where that is not possible the file length stands in.
 */
final class DiskUsage {
    private DiskUsage() {
    }

    static long of(Path path) throws IOException {
        try {
            Process stat = new ProcessBuilder("stat", "-L", "-c", "%b %B", path.toString())
                    .redirectErrorStream(true).start();
            String answer = new String(stat.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            if (stat.waitFor(10, TimeUnit.SECONDS) && stat.exitValue() == 0) {
                String[] parts = answer.split(" ");
                return Long.parseLong(parts[0]) * Long.parseLong(parts[1]);
            }
        } catch (IOException | NumberFormatException | ArrayIndexOutOfBoundsException e) {
            // No stat on this system: fall back to the length.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Files.size(path);
    }
}

package org.jblock.protocol.file;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A file's allocated blocks asked of the {@code stat} program, for the JDKs whose API has no block
 * count (JDK 17; on JDK 22+ {@link Holes#allocatedBytes} asks {@code statx} itself, with no process).
 * Where {@code stat} is missing or fails, the file's length stands in.
 */
final class StatProgram {
    private StatProgram() {
    }

    static long allocatedBytes(Path path) throws IOException {
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

package org.jblock.registry;

import java.io.IOException;
import java.nio.file.Path;

import org.jblock.api.BlockImage;
import org.jblock.api.ImageLockedException;

/**
 * Run in a second JVM by {@link ImageLockingTest}: opens an image through the registry as another
 * jblock process would, and answers through its exit code only.
 */
final class LockedOpenMain {
    static final int OPENED = 0;
    static final int LOCKED = 3;
    static final int FAILED = 4;

    private LockedOpenMain() {
    }

    /** @param args the image, and {@code rw}, {@code ro} or {@code ro-force-share} */
    public static void main(String[] args) {
        OpenSpec spec = switch (args[1]) {
            case "rw" -> OpenSpec.readWrite();
            case "ro" -> OpenSpec.readOnlySpec();
            default -> OpenSpec.readOnlySpec().withForceShare(true);
        };
        int status;
        try (BlockImage image = DriverRegistry.load().open(Path.of(args[0]), spec.withFormat("raw"))) {
            status = image.size() >= 0 ? OPENED : FAILED;
        } catch (ImageLockedException e) {
            status = LOCKED;
        } catch (IOException | RuntimeException e) {
            status = FAILED;
        }
        System.exit(status);
    }
}

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

    /** @return raw and the test-only "magic" format, which has metadata */
    static DriverRegistry registry() {
        return DriverRegistry.of(TestDrivers.raw(), new TestDrivers.Magic());
    }

    /** @param args the image, and {@code rw}, {@code ro}, {@code ro-force-share} (format magic) or {@code rw-raw} */
    public static void main(String[] args) {
        OpenSpec spec = switch (args[1]) {
            case "rw" -> OpenSpec.readWrite().withFormat("magic");
            case "ro" -> OpenSpec.readOnlySpec().withFormat("magic");
            case "rw-raw" -> OpenSpec.readWrite().withFormat("raw");
            default -> OpenSpec.readOnlySpec().withForceShare(true).withFormat("magic");
        };
        int status;
        try (BlockImage image = registry().open(Path.of(args[0]), spec)) {
            status = image.size() >= 0 ? OPENED : FAILED;
        } catch (ImageLockedException e) {
            status = LOCKED;
        } catch (IOException | RuntimeException e) {
            status = FAILED;
        }
        System.exit(status);
    }
}

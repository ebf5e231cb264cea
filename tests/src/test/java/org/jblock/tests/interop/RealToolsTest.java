package org.jblock.tests.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

import org.jblock.tests.interop.RealTools.Result;
import org.jblock.tests.interop.RealTools.Tool;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** The helper every interop suite runs the real tools through. */
class RealToolsTest {

    @Test
    void capturesOutputErrorAndExitCode() throws IOException {
        Result result = RealTools.run(Duration.ofSeconds(30), List.of("sh", "-c", "echo out; echo err >&2; exit 3"));

        assertEquals(3, result.exitCode());
        assertEquals("out\n", result.stdout());
        assertEquals("err\n", result.stderr());
        assertThrows(AssertionFailedError.class, result::assertSucceeded);
    }

    @Test
    void killsAProcessThatOutlivesItsTimeout() {
        AssertionFailedError error = assertThrows(AssertionFailedError.class,
                () -> RealTools.run(Duration.ofMillis(200), List.of("sleep", "30")));

        assertTrue(error.getMessage().contains("did not finish within"), error.getMessage());
    }

    @Test
    void aMissingToolSkipsWithThePackageToInstall() {
        TestAbortedException skipped = assertThrows(TestAbortedException.class,
                () -> RealTools.stopForMissing(Tool.QEMU_IMG, false));

        assertEquals("qemu-img not found: install qemu-utils", skipped.getMessage());
    }

    @Test
    void aMissingToolFailsUnderCi() {
        AssertionFailedError failed = assertThrows(AssertionFailedError.class,
                () -> RealTools.stopForMissing(Tool.PYVHDI, true));

        assertTrue(failed.getMessage().startsWith("pyvhdi not found: install python3-libvhdi"), failed.getMessage());
    }
}

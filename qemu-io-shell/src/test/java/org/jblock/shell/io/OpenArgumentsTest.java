package org.jblock.shell.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.jblock.registry.CacheMode;

import org.junit.jupiter.api.Test;

/** How qemu-io's command line names the image it opens. */
class OpenArgumentsTest {

    @Test
    void aProtocolDescribedByItsOwnOptionsIsOpenedByThem() throws Exception {
        OpenArguments.Target target = OpenArguments.resolve(null, null, null, List.of(),
                "driver=nbd,server.type=unix,server.path=/run/nbd.sock,reconnect-delay=7", false, false, false,
                CacheMode.WRITETHROUGH);
        assertTrue(target.path() != null && target.path().startsWith("json:"), String.valueOf(target.path()));
        assertTrue(target.path().contains("/run/nbd.sock"), target.path());
        assertTrue(target.path().contains("reconnect-delay"), target.path());
        assertEquals("nbd", target.spec().format());
    }

    @Test
    void withoutAnyImageThereIsNothingToOpen() throws Exception {
        assertNull(OpenArguments.resolve(null, null, null, List.of(), "driver=vpc", false, false, false,
                CacheMode.WRITETHROUGH).path());
    }
}

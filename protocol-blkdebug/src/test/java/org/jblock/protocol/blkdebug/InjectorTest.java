package org.jblock.protocol.blkdebug;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.jblock.api.InvalidOptionException;
import org.junit.jupiter.api.Test;

/** Rule files and the rules at work, with QEMU's semantics. */
class InjectorTest {
    private static Injector injector(String ruleFile) throws InvalidOptionException {
        return new Injector(RuleFile.parse(ruleFile, "rules.conf"));
    }

    @Test
    void anErrorRuleFailsRequestsOnlyAfterItsEventFired() throws Exception {
        Injector rules = injector("[inject-error]\nevent = \"pwritev\"\nerrno = \"28\"\n");
        assertDoesNotThrow(() -> rules.check(IoType.WRITE, 0, 512));
        rules.fire(Event.PWRITEV);
        Injector.InjectedError e = assertThrows(Injector.InjectedError.class, () -> rules.check(IoType.WRITE, 0, 512));
        assertEquals("No space left on device", e.getMessage());
        assertThrows(Injector.InjectedError.class, () -> rules.check(IoType.READ, 4096, 1), "every request, not once");
    }

    @Test
    void onceFailsOneRequestAndSectorOnlyThoseCoveringIt() throws Exception {
        Injector rules = injector("# a comment\n\n[inject-error]\nevent = \"none\"\nsector = \"8\"\nonce = \"on\"\n");
        assertDoesNotThrow(() -> rules.check(IoType.READ, 0, 4096), "byte 4096 is outside [0, 4096)");
        assertDoesNotThrow(() -> rules.check(IoType.READ, 4097, 512));
        Injector.InjectedError e = assertThrows(Injector.InjectedError.class, () -> rules.check(IoType.READ, 4000, 512));
        assertEquals("Input/output error", e.getMessage(), "EIO by default");
        assertDoesNotThrow(() -> rules.check(IoType.READ, 4000, 512), "once: the rule is spent");
    }

    @Test
    void iotypeChoosesTheRequestsAndBlockStatusIsExemptByDefault() throws Exception {
        Injector all = injector("[inject-error]\nevent = \"none\"\n");
        assertDoesNotThrow(() -> all.check(IoType.BLOCK_STATUS, 0, 1));
        assertThrows(Injector.InjectedError.class, () -> all.check(IoType.FLUSH, 0, 0));
        Injector status = injector("[inject-error]\nevent = \"none\"\niotype = \"block-status\"\n");
        assertThrows(Injector.InjectedError.class, () -> status.check(IoType.BLOCK_STATUS, 0, 1));
        assertDoesNotThrow(() -> status.check(IoType.READ, 0, 512));
    }

    @Test
    void setStateRulesMoveTheStateAndStatesGateTheRules() throws Exception {
        Injector rules = injector("[set-state]\nevent = \"flush_to_disk\"\nstate = \"1\"\nnew_state = \"2\"\n"
                + "[inject-error]\nevent = \"pwritev\"\nstate = \"2\"\n");
        rules.fire(Event.PWRITEV);
        assertDoesNotThrow(() -> rules.check(IoType.WRITE, 0, 1), "state 1: the error rule does not apply");
        rules.fire(Event.FLUSH_TO_DISK);
        assertEquals(2, rules.state());
        rules.fire(Event.PWRITEV);
        assertThrows(Injector.InjectedError.class, () -> rules.check(IoType.WRITE, 0, 1));
        rules.fire(Event.FLUSH_TO_DISK);
        assertEquals(2, rules.state(), "the set-state rule is for state 1 only");
    }

    @Test
    void badRuleFilesAreRefusedNamingTheLine() {
        assertMessage("rules.conf:2: There is no option group 'inject-errors'", "# x\n[inject-errors]\n");
        assertMessage("rules.conf:1: no group defined", "event = \"none\"\n");
        assertMessage("rules.conf: [inject-error]: Missing event name for rule", "[inject-error]\nerrno = \"5\"\n");
        assertMessage("rules.conf: [inject-error]: Invalid event name \"l9_update\"", "[inject-error]\nevent = \"l9_update\"\n");
        assertMessage("rules.conf: [inject-error]: Invalid parameter 'new_state'", "[inject-error]\nevent = \"none\"\nnew_state = \"1\"\n");
        assertMessage("rules.conf: [set-state]: Parameter 'state' expects a number", "[set-state]\nevent = \"none\"\nstate = \"x\"\n");
        assertMessage("rules.conf:2: parse error (a value is written in double quotes)", "[set-state]\nevent = none\n");
    }

    private static void assertMessage(String expected, String ruleFile) {
        InvalidOptionException e = assertThrows(InvalidOptionException.class, () -> RuleFile.parse(ruleFile, "rules.conf"));
        assertEquals(expected, e.getMessage());
    }

    @Test
    void anEmptyFileHasNoRules() throws Exception {
        assertTrue(RuleFile.parse("", "x").isEmpty());
        assertEquals(List.of(), RuleFile.parse("# nothing\n", "x"));
    }
}

package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;

import org.junit.jupiter.api.Test;

/** Which subcommands the tool builds for a command line (building one costs start-up time). */
class JblockImgTest {
    private static final Set<String> EVERY = JblockImg.subcommandsNeeded(new String[] {"--help"});

    @Test
    void theSubcommandNamedFirstIsTheOnlyOneBuilt() {
        assertEquals(Set.of("convert"), JblockImg.subcommandsNeeded(new String[] {"convert", "-O", "vpc", "a", "b"}));
        assertEquals(Set.of("info"), JblockImg.subcommandsNeeded(new String[] {"info", "--help"}));
    }

    /**
     * Built alone, as {@code main} builds it, a subcommand says and refuses what it says and refuses
     * among all the others: its help, an unknown option, an option without its value, no arguments.
     */
    @Test
    void aSubcommandBuiltAloneAnswersAsItDoesAmongAllTheOthers() {
        for (String name : EVERY) {
            for (String[] args : java.util.List.of(new String[] {name, "--help"}, new String[] {name, "--no-such-option"},
                    new String[] {name, "-f"}, new String[] {name}, new String[] {name, "-q", "no-such-image"})) {
                Img.Result alone = Img.runAsMain(args);
                Img.Result amongAll = Img.run(args);
                assertEquals(amongAll, alone, String.join(" ", args));
            }
        }
        assertEquals(Img.run("--version"), Img.runAsMain("--version"));
        assertEquals(Img.run(), Img.runAsMain());
    }

    @Test
    void helpEndsWithQemuImgsListOfSupportedFormats() {
        Img.Result r = Img.run("--help").assertSuccess();
        String last = r.out().strip().lines().reduce((a, b) -> b).orElseThrow();
        assertTrue(last.startsWith("Supported formats: "), last);
        java.util.List<String> names = java.util.List.of(last.substring("Supported formats: ".length()).split(" "));
        assertEquals(names.stream().sorted().toList(), names, "sorted, as qemu-img lists them");
        assertTrue(names.containsAll(java.util.List.of("blkdebug", "file", "host_device", "raw", "testimg", "vpc")),
                "the registry's drivers and protocols: " + names);
    }

    @Test
    void theVersionAndNoArgumentsBuildNone() {
        assertEquals(Set.of(), JblockImg.subcommandsNeeded(new String[0]));
        assertEquals(Set.of(), JblockImg.subcommandsNeeded(new String[] {"--version"}));
        assertEquals(Set.of(), JblockImg.subcommandsNeeded(new String[] {"-V"}));
    }

    @Test
    void helpAndUnknownNamesBuildEveryOneSoThatTheyCanBeListed() {
        assertEquals(Set.of("create", "info", "check", "convert", "compare", "dd", "commit", "rebase", "map",
                "resize", "bench", "measure", "amend"), EVERY);
        assertEquals(EVERY, JblockImg.subcommandsNeeded(new String[] {"conver", "a"}));
        assertEquals(EVERY, JblockImg.subcommandsNeeded(new String[] {"--version", "convert"}));
    }
}

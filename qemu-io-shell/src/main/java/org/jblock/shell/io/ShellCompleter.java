package org.jblock.shell.io;

import java.util.List;
import java.util.Optional;

import org.jline.builtins.Completers;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;

/** Completes command names and aliases, then the command's flags, then file paths. */
final class ShellCompleter implements Completer {
    private final Completer paths = new Completers.FileNameCompleter();

    @Override
    public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
        if (line.wordIndex() == 0) {
            for (CommandInfo command : CommandTable.COMMANDS) {
                candidates.add(new Candidate(command.name(), command.name(), null, command.oneline(), null, null, true));
                if (command.alias() != null) {
                    candidates.add(new Candidate(command.alias(), command.alias(), null, command.name(), null, null,
                            true));
                }
            }
            return;
        }
        Optional<CommandInfo> command = CommandTable.find(line.words().get(0));
        if (line.word().startsWith("-") && command.isPresent()) {
            IoShell.parser(command.get().factory().get()).getCommandSpec().options().forEach(option -> {
                for (String name : option.names()) {
                    candidates.add(new Candidate(name, name, null, null, null, null, true));
                }
            });
            return;
        }
        paths.complete(reader, line, candidates);
    }
}

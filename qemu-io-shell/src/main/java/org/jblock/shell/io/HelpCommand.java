package org.jblock.shell.io;

import java.util.Optional;

import picocli.CommandLine.Command;

/** {@code help [command]}: the list of commands, or one command's synopsis and extended help. */
@Command(name = "help")
final class HelpCommand extends IoCommand {
    @Override
    public Integer call() {
        if (operands.isEmpty()) {
            StringBuilder sb = new StringBuilder();
            for (CommandInfo command : CommandTable.COMMANDS) {
                sb.append(command.synopsis(command.name())).append('\n');
            }
            sb.append("\nUse 'help commandname' for extended help.\n");
            shell.out(sb.toString());
            return OK;
        }
        String word = operands.get(0);
        Optional<CommandInfo> command = CommandTable.find(word);
        if (command.isEmpty()) {
            shell.out("command " + word + " not found\n");
            return FAILED;
        }
        shell.out(command.get().synopsis(word) + "\n" + CommandTable.extendedHelp(command.get()));
        return OK;
    }
}

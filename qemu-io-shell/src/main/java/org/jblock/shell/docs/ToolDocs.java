package org.jblock.shell.docs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jblock.registry.DriverRegistry;
import org.jblock.shell.Version;
import org.jblock.shell.img.JblockImg;
import org.jblock.shell.io.JblockIo;
import org.jblock.shell.nbd.JblockNbd;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Writes each tool's man page and the bash completion script from the tools' own picocli models,
 * so that neither can drift from the options the tools accept. The distribution's build runs it:
 * {@code ToolDocs <folder>} writes {@code <folder>/man/man1/<tool>.1} and
 * {@code <folder>/completion/jblock.bash}.
 */
public final class ToolDocs {
    private static final String ENVIRONMENT = """
            .SH ENVIRONMENT
            .TP
            .B JBLOCK_DRIVER_PATH
            A folder whose driver jars (third-party formats) join the built-in drivers.
            .TP
            .B JBLOCK_JAVA
            The JDK to run on: a JDK folder or its java program. Otherwise JAVA_HOME, otherwise the newest
            JDK among java on the PATH and those installed in the system's JVM folder.
            .TP
            .B JAVA_HOME
            The JDK to run on, when JBLOCK_JAVA is not set.
            .TP
            .B JBLOCK_LOG
            Which messages print: error, warning (the default), info, debug or off.
            """;

    private ToolDocs() {
    }

    /** The tools, by the name they are installed as. */
    static Map<String, CommandLine> tools() {
        Map<String, CommandLine> tools = new LinkedHashMap<>();
        tools.put("jblock-img", JblockImg.model(DriverRegistry.load()));
        tools.put("jblock-io", JblockIo.model());
        tools.put("jblock-nbd", JblockNbd.model(DriverRegistry.load()));
        return tools;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: ToolDocs <output folder>");
        }
        Path out = Path.of(args[0]);
        Path man = Files.createDirectories(out.resolve("man/man1"));
        Path completion = Files.createDirectories(out.resolve("completion"));
        Map<String, CommandLine> tools = tools();
        StringBuilder script = new StringBuilder();
        for (Map.Entry<String, CommandLine> tool : tools.entrySet()) {
            List<String> others = new ArrayList<>(tools.keySet());
            others.remove(tool.getKey());
            Files.writeString(man.resolve(tool.getKey() + ".1"), manPage(tool.getKey(), tool.getValue(), others),
                    StandardCharsets.UTF_8);
            script.append(AutoComplete.bash(tool.getKey(), tool.getValue())).append('\n');
        }
        Files.writeString(completion.resolve("jblock.bash"), script, StandardCharsets.UTF_8);
    }

    /** The man(7) page of {@code tool}. */
    static String manPage(String tool, CommandLine command, List<String> seeAlso) {
        CommandSpec spec = command.getCommandSpec();
        StringBuilder page = new StringBuilder();
        page.append(".TH \"").append(tool.toUpperCase(java.util.Locale.ROOT)).append("\" \"1\" \"\" \"jblock ")
                .append(escape(Version.number())).append("\" \"jblock manual\"\n");
        page.append(".SH NAME\n").append(escape(tool)).append(" \\- ").append(escape(description(spec))).append('\n');
        page.append(".SH SYNOPSIS\n");
        synopsis(page, spec);
        page.append(".SH OPTIONS\n");
        arguments(page, spec);
        if (!command.getSubcommands().isEmpty()) {
            page.append(".SH COMMANDS\n");
            for (Map.Entry<String, CommandLine> sub : command.getSubcommands().entrySet()) {
                CommandSpec subSpec = sub.getValue().getCommandSpec();
                page.append(".SS ").append(escape(sub.getKey())).append('\n');
                page.append(escape(description(subSpec))).append('\n');
                synopsis(page, subSpec);
                arguments(page, subSpec);
            }
        }
        page.append(ENVIRONMENT);
        page.append(".SH SEE ALSO\n");
        List<String> references = new ArrayList<>();
        for (String other : seeAlso) {
            references.add("\\fB" + escape(other) + "\\fR(1)");
        }
        page.append(String.join(", ", references)).append('\n');
        return page.toString();
    }

    private static String description(CommandSpec spec) {
        return text(spec.usageMessage().description());
    }

    /** picocli's description lines as one text, with its format escapes ({@code %%}, {@code %n}) applied. */
    private static String text(String[] lines) {
        return String.join(" ", lines).replace("%n", " ").replace("%%", "%");
    }

    private static void synopsis(StringBuilder page, CommandSpec spec) {
        Help help = new Help(spec, Help.defaultColorScheme(Help.Ansi.OFF));
        page.append(".PP\n.nf\n").append(escape(help.synopsis(0).strip())).append("\n.fi\n");
    }

    private static void arguments(StringBuilder page, CommandSpec spec) {
        for (OptionSpec option : spec.options()) {
            if (option.hidden()) {
                continue;
            }
            List<String> names = new ArrayList<>();
            for (String name : option.names()) {
                names.add("\\fB" + escape(name) + "\\fR");
            }
            String label = option.arity().max() > 0 ? " \\fI" + escape(option.paramLabel()) + "\\fR" : "";
            page.append(".TP\n").append(String.join(", ", names)).append(label).append('\n');
            page.append(escape(text(option.description()))).append('\n');
        }
        for (PositionalParamSpec parameter : spec.positionalParameters()) {
            if (parameter.hidden() || parameter.description().length == 0) {
                continue;
            }
            page.append(".TP\n\\fI").append(escape(parameter.paramLabel())).append("\\fR\n");
            page.append(escape(text(parameter.description()))).append('\n');
        }
    }

    /** Text as troff prints it literally. */
    static String escape(String text) {
        String escaped = text.replace("\\", "\\e").replace("-", "\\-");
        StringBuilder lines = new StringBuilder();
        for (String line : escaped.split("\n", -1)) {
            if (lines.length() > 0) {
                lines.append('\n');
            }
            if (line.startsWith(".") || line.startsWith("'")) {
                lines.append("\\&");
            }
            lines.append(line);
        }
        return lines.toString();
    }
}

package org.jblock.shell.img;

import java.io.PrintWriter;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** JSON output, laid out like qemu-img's (four-space indent, {@code "key": value}). */
final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final ObjectWriter PRETTY = MAPPER.writer(new DefaultPrettyPrinter()
            .withObjectIndenter(new DefaultIndenter("    ", "\n"))
            .withArrayIndenter(new DefaultIndenter("    ", "\n"))
            .withSeparators(Separators.createDefaultInstance()
                    .withObjectFieldValueSpacing(Separators.Spacing.AFTER)));
    private static final ObjectWriter COMPACT = MAPPER.writer();

    private Json() {
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static com.fasterxml.jackson.databind.node.ArrayNode array() {
        return MAPPER.createArrayNode();
    }

    /** Prints {@code node} over several lines. */
    static void print(PrintWriter out, JsonNode node) {
        out.println(write(PRETTY, node));
    }

    /**
     * @return an object on one line as qemu-img lays it out ({@code map --output=json}):
     *         {@code { "start": 0, "length": 512, "data": true}}, which scripts match as text
     */
    static String oneLine(ObjectNode node) {
        StringBuilder text = new StringBuilder("{ ");
        java.util.Iterator<java.util.Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            java.util.Map.Entry<String, JsonNode> field = fields.next();
            text.append(write(COMPACT, MAPPER.getNodeFactory().textNode(field.getKey()))).append(": ")
                    .append(write(COMPACT, field.getValue())).append(fields.hasNext() ? ", " : "");
        }
        return text.append('}').toString();
    }

    private static String write(ObjectWriter writer, JsonNode node) {
        try {
            return writer.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            // A tree of plain nodes always serializes; failing here is a programming error.
            throw new IllegalStateException(e);
        }
    }
}

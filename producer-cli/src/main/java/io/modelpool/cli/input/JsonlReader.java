package io.modelpool.cli.input;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** JSON Lines: each non-blank line is one JSON object with a string text field and an optional id field. */
final class JsonlReader implements InputReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final BufferedReader reader;
    private final String textField;
    private final String idField;
    private final boolean idRequired;
    private long lineNumber;

    JsonlReader(InputSpec spec) throws IOException {
        this.file = spec.file();
        this.reader = Files.newBufferedReader(spec.file(), StandardCharsets.UTF_8);
        this.textField = spec.resolvedTextField();
        this.idField = spec.resolvedIdField();
        this.idRequired = spec.idFieldRequired();
    }

    @Override
    public InputRecord next() throws IOException {
        String line;
        while ((line = reader.readLine()) != null) {
            lineNumber++;
            if (!line.isBlank()) {
                return parse(line);
            }
        }
        return null;
    }

    private InputRecord parse(String line) throws InputException {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new InputException(file, lineNumber, "not a JSON object (" + e.getOriginalMessage() + ")");
        }
        if (!node.isObject()) {
            throw new InputException(file, lineNumber, "not a JSON object");
        }
        JsonNode text = node.get(textField);
        if (text == null || !text.isTextual()) {
            throw new InputException(
                    file, lineNumber, "no string field '" + textField + "' (name the text field with --text-field)");
        }
        JsonNode id = node.get(idField);
        if (id == null || id.isNull()) {
            if (idRequired) {
                throw new InputException(file, lineNumber, "no id field '" + idField + "'");
            }
            return new InputRecord(lineNumber, null, text.textValue());
        }
        if (!id.isValueNode() || id.asText().isEmpty()) {
            throw new InputException(
                    file, lineNumber, "id field '" + idField + "' must be a non-empty string or number");
        }
        return new InputRecord(lineNumber, id.asText(), text.textValue());
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}

package io.modelpool.cli.input;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;

/**
 * CSV (RFC 4180, as Jackson's CSV module reads it: quoted fields may hold commas, quotes and newlines)
 * with a header row. The header must name the text column; the id column is optional unless named.
 */
final class CsvReader implements InputReader {
    private static final CsvMapper CSV =
            CsvMapper.builder().enable(CsvParser.Feature.SKIP_EMPTY_LINES).build();

    private final Path file;
    private final BufferedReader source;
    private final MappingIterator<Map<String, String>> rows;
    private final String textField;
    private final String idField;
    private final boolean hasIdColumn;
    private long recordNumber;

    CsvReader(InputSpec spec) throws IOException {
        this.file = spec.file();
        this.textField = spec.resolvedTextField();
        this.idField = spec.resolvedIdField();
        this.source = Files.newBufferedReader(file, StandardCharsets.UTF_8);
        try {
            this.rows = CSV.readerFor(Map.class)
                    .with(CsvSchema.emptySchema().withHeader())
                    .readValues(source);
            rows.hasNextValue(); // reads the header row, so the columns can be checked before any record
            List<String> columns = columns();
            if (!columns.contains(textField)) {
                throw new InputException(
                        file,
                        "no column '" + textField + "' in the header " + columns
                                + " (name the text column with --column)");
            }
            this.hasIdColumn = columns.contains(idField);
            if (spec.idFieldRequired() && !hasIdColumn) {
                throw new InputException(file, "no id column '" + idField + "' in the header " + columns);
            }
        } catch (JsonProcessingException e) {
            source.close();
            throw malformed(e);
        } catch (IOException | RuntimeException e) {
            source.close();
            throw e;
        }
    }

    private List<String> columns() {
        CsvSchema schema = ((CsvParser) rows.getParser()).getSchema();
        return StreamSupport.stream(schema.spliterator(), false)
                .map(CsvSchema.Column::getName)
                .toList();
    }

    @Override
    public InputRecord next() throws IOException {
        try {
            if (!rows.hasNextValue()) {
                return null;
            }
            recordNumber++;
            Map<String, String> row = rows.nextValue();
            String text = row.get(textField);
            if (text == null) {
                throw new InputException(file, "record", recordNumber, "no value in column '" + textField + "'");
            }
            String id = hasIdColumn ? row.get(idField) : null;
            if (hasIdColumn && (id == null || id.isEmpty())) {
                throw new InputException(file, "record", recordNumber, "no value in id column '" + idField + "'");
            }
            return new InputRecord(recordNumber, id, text);
        } catch (JsonProcessingException e) {
            throw malformed(e);
        }
    }

    private InputException malformed(JsonProcessingException e) {
        return recordNumber > 0
                ? new InputException(file, "record", recordNumber, "malformed CSV (" + e.getOriginalMessage() + ")")
                : new InputException(file, "malformed CSV header (" + e.getOriginalMessage() + ")");
    }

    @Override
    public void close() throws IOException {
        try {
            rows.close();
        } finally {
            source.close();
        }
    }
}

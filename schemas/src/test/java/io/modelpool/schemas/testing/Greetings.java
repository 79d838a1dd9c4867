package io.modelpool.schemas.testing;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/**
 * Versions of a test-only record, io.modelpool.schemas.testing.Greeting: version 2 adds {@code language} with a
 * default to version 1; an incompatible version changes the type of {@code text}.
 */
public final class Greetings {
    public static final Schema V1 = new Schema.Parser()
            .parse(
                    "{\"type\":\"record\",\"name\":\"Greeting\","
                            + "\"namespace\":\"io.modelpool.schemas.testing\",\"fields\":[{\"name\":\"text\",\"type\":\"string\"}]}");
    public static final Schema V2 = new Schema.Parser()
            .parse("{\"type\":\"record\",\"name\":\"Greeting\","
                    + "\"namespace\":\"io.modelpool.schemas.testing\",\"fields\":[{\"name\":\"text\",\"type\":\"string\"},"
                    + "{\"name\":\"language\",\"type\":\"string\",\"default\":\"en\"}]}");
    public static final Schema INCOMPATIBLE = new Schema.Parser()
            .parse(
                    "{\"type\":\"record\",\"name\":\"Greeting\","
                            + "\"namespace\":\"io.modelpool.schemas.testing\",\"fields\":[{\"name\":\"text\",\"type\":\"int\"}]}");

    private Greetings() {}

    public static GenericRecord v1(String text) {
        GenericData.Record record = new GenericData.Record(V1);
        record.put("text", text);
        return record;
    }

    public static GenericRecord v2(String text, String language) {
        GenericData.Record record = new GenericData.Record(V2);
        record.put("text", text);
        record.put("language", language);
        return record;
    }
}

package io.modelpool.devstack.registry;

/** Avro schemas the registry tests evolve. */
final class Schemas {

    private Schemas() {}

    /** A record "Request" with a string id. */
    static final String V1 = """
            {"type":"record","name":"Request","namespace":"io.modelpool.test",
             "fields":[{"name":"id","type":"string"}]}""";

    /** V1 plus an optional field with a default: backward and forward compatible with V1. */
    static final String V2_WITH_DEFAULT = """
            {"type":"record","name":"Request","namespace":"io.modelpool.test",
             "fields":[{"name":"id","type":"string"},
                       {"name":"jobId","type":["null","string"],"default":null}]}""";

    /** V1 plus a required field without a default: a reader on this schema cannot read V1 data. */
    static final String V2_REQUIRED_FIELD = """
            {"type":"record","name":"Request","namespace":"io.modelpool.test",
             "fields":[{"name":"id","type":"string"},{"name":"priority","type":"int"}]}""";

    /** V1 written with different whitespace and field order of the JSON object keys. */
    static final String V1_REFORMATTED = """
            {
              "namespace" : "io.modelpool.test",
              "name" : "Request",
              "type" : "record",
              "fields" : [ { "type" : "string", "name" : "id" } ]
            }""";

    static String record(String name) {
        return "{\"type\":\"record\",\"name\":\"" + name + "\",\"namespace\":\"io.modelpool.test\","
                + "\"fields\":[{\"name\":\"value\",\"type\":\"long\"}]}";
    }

    /** {@link #record(String)} plus an optional field: a backward compatible second version of it. */
    static String recordWithExtraField(String name) {
        return "{\"type\":\"record\",\"name\":\"" + name + "\",\"namespace\":\"io.modelpool.test\","
                + "\"fields\":[{\"name\":\"value\",\"type\":\"long\"},"
                + "{\"name\":\"note\",\"type\":[\"null\",\"string\"],\"default\":null}]}";
    }
}

package io.modelpool.devstack.registry;

import static io.modelpool.devstack.registry.RegistryClient.encode;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelpool.devstack.SharedDevStack;
import io.modelpool.devstack.registry.RegistryClient.Reply;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The registry's REST API as Confluent clients see it. Each test works on its own subjects; the registry stores
 * in its own topic on the shared broker, so other tests' schemas do not show up here.
 */
class SchemaRegistryRestTest {

    private static SchemaRegistryServer registry;
    private static RegistryClient client;

    private String subject;

    @BeforeAll
    static void startRegistry() {
        String bootstrap = SharedDevStack.get().bootstrapServers();
        registry = SchemaRegistryServer.start(
                RegistrySettings.defaults(bootstrap, 0).withTopic("_schemas-rest-test"));
        client = new RegistryClient(registry.url());
    }

    @AfterAll
    static void stopRegistry() {
        registry.close();
    }

    @BeforeEach
    void subjectPerTest(TestInfo test) {
        subject = test.getTestMethod().orElseThrow().getName() + "-value";
    }

    @Test
    void registeringASchemaAnswersItsIdAndTheSameSchemaAgainAnswersTheSameId() {
        Reply first = client.register(subject, Schemas.V1);

        assertThat(first.status()).isEqualTo(200);
        assertThat(first.contentType()).isEqualTo("application/vnd.schemaregistry.v1+json");
        int id = first.body().get("id").asInt();
        assertThat(id).isPositive();
        assertThat(client.registerOk(subject, Schemas.V1)).isEqualTo(id);
        assertThat(client.registerOk(subject, Schemas.V1_REFORMATTED))
                .as("whitespace and key order do not make a new schema")
                .isEqualTo(id);
        assertThat(client.get("/subjects/" + subject + "/versions").body())
                .extracting(JsonNode::asInt)
                .containsExactly(1);
    }

    @Test
    void theSameSchemaUnderAnotherSubjectGetsTheSameId() {
        String schema = Schemas.record("SharedAcrossSubjects");
        int id = client.registerOk(subject, schema);

        assertThat(client.registerOk(subject + "-other", schema)).isEqualTo(id);
        assertThat(client.get("/schemas/ids/" + id + "/versions").body().toString())
                .isEqualTo("[{\"subject\":\"" + subject + "\",\"version\":1}," + "{\"subject\":\"" + subject
                        + "-other\",\"version\":1}]");
    }

    @Test
    void aSchemaIsFoundByIdByLookupAndByVersion() {
        int id = client.registerOk(subject, Schemas.V1);
        int id2 = client.registerOk(subject, Schemas.V2_WITH_DEFAULT);
        String canonical = RegistryService.parse(Schemas.V2_WITH_DEFAULT).toString();

        assertThat(id2).isNotEqualTo(id);
        assertThat(client.get("/schemas/ids/" + id2).body().get("schema").asText())
                .isEqualTo(canonical);

        Reply lookup = client.post("/subjects/" + subject, Map.of("schema", Schemas.V1_REFORMATTED));
        assertThat(lookup.status()).isEqualTo(200);
        assertThat(lookup.body().get("subject").asText()).isEqualTo(subject);
        assertThat(lookup.body().get("id").asInt()).isEqualTo(id);
        assertThat(lookup.body().get("version").asInt()).isEqualTo(1);
        assertThat(lookup.body().get("schema").asText())
                .isEqualTo(RegistryService.parse(Schemas.V1).toString());

        JsonNode latest =
                client.get("/subjects/" + subject + "/versions/latest").body();
        assertThat(latest.get("version").asInt()).isEqualTo(2);
        assertThat(latest.get("id").asInt()).isEqualTo(id2);
        assertThat(latest.get("schema").asText()).isEqualTo(canonical);
        assertThat(client.get("/subjects/" + subject + "/versions/1")
                        .body()
                        .get("id")
                        .asInt())
                .isEqualTo(id);
        assertThat(client.get("/subjects/" + subject + "/versions/-1")
                        .body()
                        .get("version")
                        .asInt())
                .isEqualTo(2);
        assertThat(client.get("/subjects/" + subject + "/versions/2/schema").body())
                .isEqualTo(readTree(canonical));
        assertThat(client.get("/schemas/ids/" + id2 + "/schema").body()).isEqualTo(readTree(canonical));
    }

    @Test
    void subjectsListsEverySubjectWithALiveVersion() {
        client.registerOk(subject + "-a", Schemas.record("A"));
        client.registerOk(subject + "-b", Schemas.record("B"));

        List<String> subjects = new ArrayList<>();
        client.get("/subjects").body().forEach(s -> subjects.add(s.asText()));

        assertThat(subjects).contains(subject + "-a", subject + "-b");
    }

    @Test
    void deletingASubjectAnswersItsVersionsAndHidesItButKeepsItsIdsReadable() {
        int id = client.registerOk(subject, Schemas.V1);
        client.registerOk(subject, Schemas.V2_WITH_DEFAULT);

        Reply deleted = client.delete("/subjects/" + subject);

        assertThat(deleted.status()).isEqualTo(200);
        assertThat(deleted.body()).extracting(JsonNode::asInt).containsExactly(1, 2);
        assertThat(client.get("/subjects/" + subject + "/versions").errorCode()).isEqualTo(40401);
        assertThat(client.get("/subjects").body().toString()).doesNotContain("\"" + subject + "\"");
        assertThat(client.get("/subjects?deleted=true").body().toString()).contains("\"" + subject + "\"");
        assertThat(client.get("/schemas/ids/" + id).status()).isEqualTo(200);
        assertThat(client.delete("/subjects/" + subject).errorCode())
                .as("already soft-deleted")
                .isEqualTo(40404);

        assertThat(client.registerOk(subject, Schemas.V1))
                .as("re-registering keeps the id")
                .isEqualTo(id);
        assertThat(client.get("/subjects/" + subject + "/versions").body())
                .extracting(JsonNode::asInt)
                .containsExactly(3);
    }

    @Test
    void aSubjectIsDeletedPermanentlyOnlyAfterASoftDelete() {
        client.registerOk(subject, Schemas.record("Permanent"));

        assertThat(client.delete("/subjects/" + subject + "?permanent=true").errorCode())
                .isEqualTo(40405);
        client.delete("/subjects/" + subject);
        Reply permanent = client.delete("/subjects/" + subject + "?permanent=true");

        assertThat(permanent.status()).isEqualTo(200);
        assertThat(permanent.body()).extracting(JsonNode::asInt).containsExactly(1);
        assertThat(client.get("/subjects?deleted=true").body().toString()).doesNotContain("\"" + subject + "\"");
        assertThat(client.delete("/subjects/" + subject).errorCode()).isEqualTo(40401);
        assertThat(client.registerOk(subject, Schemas.record("Permanent"))).isPositive();
        assertThat(client.get("/subjects/" + subject + "/versions").body())
                .as("versions start again at 1")
                .extracting(JsonNode::asInt)
                .containsExactly(1);
    }

    @Test
    void deletingOneVersionLeavesTheOthers() {
        client.registerOk(subject, Schemas.V1);
        client.registerOk(subject, Schemas.V2_WITH_DEFAULT);

        Reply deleted = client.delete("/subjects/" + subject + "/versions/1");

        assertThat(deleted.status()).isEqualTo(200);
        assertThat(deleted.body().asInt()).isEqualTo(1);
        assertThat(client.get("/subjects/" + subject + "/versions").body())
                .extracting(JsonNode::asInt)
                .containsExactly(2);
        assertThat(client.get("/subjects/" + subject + "/versions/1").errorCode())
                .isEqualTo(40402);
        assertThat(client.get("/subjects/" + subject + "/versions/1?deleted=true")
                        .status())
                .isEqualTo(200);
    }

    @Test
    void anIncompatibleSchemaIsRejectedWith409UnderBackward() {
        client.registerOk(subject, Schemas.V1);

        Reply rejected = client.register(subject, Schemas.V2_REQUIRED_FIELD);

        assertThat(rejected.status()).isEqualTo(409);
        assertThat(rejected.errorCode()).isEqualTo(409);
        assertThat(rejected.body().get("message").asText())
                .contains("incompatible")
                .contains("priority");
        assertThat(client.get("/subjects/" + subject + "/versions").body())
                .extracting(JsonNode::asInt)
                .containsExactly(1);
    }

    @Test
    void aBackwardCompatibleChangeIsAccepted() {
        client.registerOk(subject, Schemas.V1);

        assertThat(client.register(subject, Schemas.V2_WITH_DEFAULT).status()).isEqualTo(200);
    }

    @Test
    void theCompatibilityEndpointAnswersWithoutRegistering() {
        client.registerOk(subject, Schemas.V1);

        Reply bad = client.post(
                "/compatibility/subjects/" + subject + "/versions/latest?verbose=true",
                Map.of("schema", Schemas.V2_REQUIRED_FIELD));
        Reply good = client.post(
                "/compatibility/subjects/" + subject + "/versions/1", Map.of("schema", Schemas.V2_WITH_DEFAULT));

        assertThat(bad.status()).isEqualTo(200);
        assertThat(bad.body().get("is_compatible").asBoolean()).isFalse();
        assertThat(bad.body().get("messages")).isNotEmpty();
        assertThat(good.body().get("is_compatible").asBoolean()).isTrue();
        assertThat(good.body().has("messages")).isFalse();
        assertThat(client.get("/subjects/" + subject + "/versions").body()).hasSize(1);
        assertThat(client.post("/compatibility/subjects/" + subject + "/versions/7", Map.of("schema", Schemas.V1))
                        .errorCode())
                .isEqualTo(40402);
        assertThat(client.post(
                                "/compatibility/subjects/" + subject + "-missing/versions/latest",
                                Map.of("schema", Schemas.V1))
                        .errorCode())
                .isEqualTo(40401);
    }

    @Test
    void aSubjectLevelOverridesTheGlobalLevel() {
        client.registerOk(subject, Schemas.V1);

        assertThat(client.get("/config/" + subject).errorCode()).isEqualTo(40408);
        assertThat(client.get("/config/" + subject + "?defaultToGlobal=true")
                        .body()
                        .get("compatibilityLevel")
                        .asText())
                .isEqualTo("BACKWARD");

        Reply put = client.put("/config/" + subject, Map.of("compatibility", "none"));

        assertThat(put.status()).isEqualTo(200);
        assertThat(put.body().get("compatibility").asText()).isEqualTo("NONE");
        assertThat(client.get("/config/" + subject)
                        .body()
                        .get("compatibilityLevel")
                        .asText())
                .isEqualTo("NONE");
        assertThat(client.register(subject, Schemas.V2_REQUIRED_FIELD).status()).isEqualTo(200);

        assertThat(client.delete("/config/" + subject).status()).isEqualTo(200);
        assertThat(client.get("/config/" + subject).errorCode()).isEqualTo(40408);
    }

    @Test
    void theGlobalLevelIsBackwardByDefaultAndCanBeChanged() {
        assertThat(client.get("/config").body().get("compatibilityLevel").asText())
                .isEqualTo("BACKWARD");
        try {
            assertThat(client.put("/config", Map.of("compatibility", "FULL_TRANSITIVE"))
                            .status())
                    .isEqualTo(200);
            assertThat(client.get("/config").body().get("compatibilityLevel").asText())
                    .isEqualTo("FULL_TRANSITIVE");
            assertThat(client.put("/config", Map.of("compatibility", "SIDEWAYS"))
                            .errorCode())
                    .isEqualTo(42203);
        } finally {
            client.put("/config", Map.of("compatibility", "BACKWARD"));
        }
    }

    @Test
    void everyConfluentLevelIsAccepted() {
        for (String level : List.of(
                "NONE",
                "BACKWARD",
                "BACKWARD_TRANSITIVE",
                "FORWARD",
                "FORWARD_TRANSITIVE",
                "FULL",
                "FULL_TRANSITIVE")) {
            assertThat(client.put("/config/" + subject, Map.of("compatibility", level))
                            .status())
                    .isEqualTo(200);
            assertThat(client.get("/config/" + subject)
                            .body()
                            .get("compatibilityLevel")
                            .asText())
                    .isEqualTo(level);
        }
    }

    @Test
    void forwardRejectsASchemaThatOldReadersCannotRead() {
        client.put("/config/" + subject, Map.of("compatibility", "FORWARD"));
        client.registerOk(subject, Schemas.V2_WITH_DEFAULT);

        // V1 readers can read V2 data (they ignore jobId), so dropping back to V1 is forward compatible...
        assertThat(client.register(subject, Schemas.V1).status()).isEqualTo(200);
        // ...but a V1-reader cannot read data that lacks nothing yet has a new type for id.
        String idAsInt = Schemas.V1.replace("\"type\":\"string\"", "\"type\":\"int\"");
        assertThat(client.register(subject, idAsInt).status()).isEqualTo(409);
    }

    @Test
    void transitiveLevelsCheckEveryLiveVersion() {
        client.put("/config/" + subject, Map.of("compatibility", "BACKWARD_TRANSITIVE"));
        String v1 = "{\"type\":\"record\",\"name\":\"T\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}";
        String v2 = "{\"type\":\"record\",\"name\":\"T\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"
                + "{\"name\":\"b\",\"type\":\"int\",\"default\":0}]}";
        // Reads v2 data (b present, a dropped) but not v1 data, which has no b and b has no default here.
        String v3 = "{\"type\":\"record\",\"name\":\"T\",\"fields\":[{\"name\":\"b\",\"type\":\"int\"}]}";
        client.registerOk(subject, v1);
        client.registerOk(subject, v2);

        assertThat(client.register(subject, v3).status()).isEqualTo(409);

        client.put("/config/" + subject, Map.of("compatibility", "BACKWARD"));
        assertThat(client.register(subject, v3).status()).isEqualTo(200);
    }

    @Test
    void anInvalidSchemaIsRejectedWith42201() {
        Reply notAvro = client.register(subject, "{\"type\":\"record\",\"name\":\"Broken\"}");
        Reply notJson = client.register(subject, "{not json");
        Reply otherType =
                client.post("/subjects/" + subject + "/versions", Map.of("schema", "{}", "schemaType", "PROTOBUF"));

        assertThat(List.of(notAvro, notJson, otherType)).allSatisfy(reply -> {
            assertThat(reply.status()).isEqualTo(422);
            assertThat(reply.errorCode()).isEqualTo(42201);
            assertThat(reply.body().get("message").asText()).isNotBlank();
        });
    }

    @Test
    void anInvalidVersionIsRejectedWith42202() {
        client.registerOk(subject, Schemas.V1);

        assertThat(client.get("/subjects/" + subject + "/versions/zero").errorCode())
                .isEqualTo(42202);
        assertThat(client.get("/subjects/" + subject + "/versions/0").status()).isEqualTo(422);
    }

    @Test
    void unknownThingsAnswerConfluentNotFoundErrors() {
        Reply noSubject = client.get("/subjects/" + subject + "/versions");
        Reply noSchema = client.get("/schemas/ids/987654");
        client.registerOk(subject + "-known", Schemas.V1);
        Reply noVersion = client.get("/subjects/" + subject + "-known/versions/9");
        Reply notUnderSubject = client.post("/subjects/" + subject + "-known", Map.of("schema", Schemas.record("X")));
        Reply lookupNoSubject = client.post("/subjects/" + subject, Map.of("schema", Schemas.V1));

        assertThat(noSubject.status()).isEqualTo(404);
        assertThat(noSubject.errorCode()).isEqualTo(40401);
        assertThat(noSubject.body().get("message").asText()).contains(subject);
        assertThat(noSchema.status()).isEqualTo(404);
        assertThat(noSchema.errorCode()).isEqualTo(40403);
        assertThat(noVersion.errorCode()).isEqualTo(40402);
        assertThat(notUnderSubject.errorCode()).isEqualTo(40403);
        assertThat(lookupNoSubject.errorCode()).isEqualTo(40401);
        assertThat(client.get("/no/such/path").status()).isEqualTo(404);
        assertThat(client.put("/subjects", Map.of()).status()).isEqualTo(405);
    }

    @Test
    void subjectsWithReservedUrlCharactersRoundTrip() {
        String odd = subject + " with/slash+plus";
        int id = client.registerOk(odd, Schemas.V1);

        JsonNode latest =
                client.get("/subjects/" + encode(odd) + "/versions/latest").body();

        assertThat(latest.get("subject").asText()).isEqualTo(odd);
        assertThat(latest.get("id").asInt()).isEqualTo(id);
    }

    @Test
    void plainJsonRequestsAndServiceRootAreAccepted() {
        assertThat(client.get("/").status()).isEqualTo(200);
        assertThat(client.get("/schemas/types").body().toString()).isEqualTo("[\"AVRO\"]");
        assertThat(client.post("/subjects/" + subject + "/versions", "not json at all")
                        .status())
                .isEqualTo(400);
    }

    private static JsonNode readTree(String json) {
        try {
            return RegistryClient.JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package io.modelpool.worker.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelpool.devstack.DevStack;
import io.modelpool.devstack.DevStackOptions;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.process.Job;
import io.modelpool.worker.process.WorkerProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 3: the schema registry goes down mid-job. A worker caches every schema it has seen, so an outage only
 * shows when a record needs a schema the worker has not fetched yet: here the second half of the job is written with
 * a newer (backward-compatible) request schema, registered before the outage and produced during it. Those records
 * cannot be decoded while the registry is down; the worker must rewind and pause rather than dead-letter them, and
 * answer all of them once the registry is back.
 *
 * <p>Short form: 1,000 requests, 5 s outage; full form: 10,000 requests, 30 s outage.
 */
@Tag("reliability")
class RegistryOutageTest {

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void noGoodRecordIsDeadLetteredDuringARegistryOutageAndIntakeResumesAfterIt() throws Exception {
        int requests = Scale.pick(1_000, 10_000);
        Duration outage = Scale.pick(Duration.ofSeconds(5), Duration.ofSeconds(30));
        try (DevStack stack = DevStack.start(DevStackOptions.ephemeral());
                Job job = Job.create(stack, 4, false);
                KafkaProducer<byte[], byte[]> raw = RawRecords.producer(stack)) {
            List<String> texts = job.shortTexts(requests);
            int half = requests / 2;
            for (int i = 0; i < half; i++) {
                job.send("before-" + i, List.of(texts.get(i)));
            }
            job.flush();
            Serializer<GenericRecord> v2 = ConfluentAvroSerde.genericSerializer(
                    Map.of("schema.registry.url", stack.schemaRegistryUrl()), false);
            Schema newer = newerRequestSchema();
            // Registers the newer schema (and caches its id in this serializer) while the registry is up.
            v2.serialize(job.requestTopic(), request(newer, "warm-up", "warm up"));

            try (WorkerProcess worker = WorkerProcess.start(
                    job.prefix() + "-registry-outage",
                    job.workerSettings(
                            "registry-outage",
                            KillLoopTest.MANIFEST,
                            Map.of(
                                    WorkerConfig.JOBS_TRACKER_ENABLED,
                                    "false",
                                    WorkerConfig.RETRY_BACKOFF_MAX_MS,
                                    "2000")))) {
                worker.awaitAssignment(Duration.ofSeconds(120));
                await("the first half answered")
                        .atMost(Duration.ofMinutes(5))
                        .pollInterval(Duration.ofMillis(100))
                        .until(job::allAnswered);

                stack.stopRegistry();
                long outageStart = System.nanoTime();
                List<String> during = new ArrayList<>();
                for (int i = half; i < requests; i++) {
                    String id = "during-" + i;
                    during.add(id);
                    raw.send(new ProducerRecord<>(
                            job.requestTopic(),
                            id.getBytes(),
                            v2.serialize(job.requestTopic(), request(newer, id, texts.get(i)))));
                }
                raw.flush();
                worker.awaitLog("Intake paused: schema registry unavailable", outage);
                Duration left = outage.minusNanos(System.nanoTime() - outageStart);
                if (!left.isNegative() && !left.isZero()) {
                    await("the worker waits out the outage")
                            .during(left)
                            .atMost(left.plusSeconds(5))
                            .pollInterval(Duration.ofMillis(200))
                            .until(worker::isAlive);
                }
                assertThat(RawRecords.count(stack, job.deadLetterTopic()))
                        .as("dead letters during the outage")
                        .isZero();
                Duration actualOutage = Duration.ofNanos(System.nanoTime() - outageStart);
                stack.startRegistry();
                long back = System.nanoTime();

                await("every request answered after the outage")
                        .atMost(Duration.ofMinutes(5))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> job.answers().keySet().containsAll(during));
                Duration recovery = Duration.ofNanos(System.nanoTime() - back);
                Map<String, List<Job.Answer>> answers = job.answers();
                assertThat(answers.keySet())
                        .containsAll(job.landings().keySet())
                        .containsAll(during);
                assertThat(answers.values())
                        .allSatisfy(list -> assertThat(list)
                                .allSatisfy(a -> assertThat(a.status()).isEqualTo(ResultStatus.OK)));
                assertThat(RawRecords.count(stack, job.deadLetterTopic()))
                        .as("dead letters")
                        .isZero();
                assertThat(worker.isAlive()).isTrue();
                worker.sigterm();
                assertThat(worker.awaitExit(Duration.ofSeconds(30)).status()).isZero();
                long duplicates =
                        answers.values().stream().mapToLong(l -> l.size() - 1).sum();
                Figures.report(
                        "registry outage",
                        "%d requests (%d produced during a %.1f s outage): 0 dead-lettered, "
                                + "0 unanswered, %d duplicates; all answered %.1f s after the registry came back; %d "
                                + "'Intake paused' warnings",
                        requests,
                        during.size(),
                        actualOutage.toMillis() / 1000.0,
                        duplicates,
                        recovery.toMillis() / 1000.0,
                        worker.logCount("Intake paused"));
            }
        }
    }

    /** The contract's request schema plus one optional field: a new version a worker has not cached. */
    static Schema newerRequestSchema() throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode schema =
                (ObjectNode) json.readTree(TextEmbeddingRequest.getClassSchema().toString());
        ObjectNode field = json.createObjectNode();
        field.put("name", "traceTag");
        field.set("type", json.createArrayNode().add("null").add("string"));
        field.putNull("default");
        ((ArrayNode) schema.get("fields")).add(field);
        return new Schema.Parser().parse(schema.toString());
    }

    static GenericRecord request(Schema schema, String id, String text) {
        GenericData.Record r = new GenericData.Record(schema);
        r.put("id", id);
        r.put("model", Job.MODEL);
        r.put("texts", List.of(text));
        r.put(
                "inputType",
                new GenericData.EnumSymbol(schema.getField("inputType").schema(), "DOCUMENT"));
        r.put("traceTag", "outage");
        return r;
    }
}

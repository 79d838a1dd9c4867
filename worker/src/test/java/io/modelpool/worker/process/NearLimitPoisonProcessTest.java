package io.modelpool.worker.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.DeadLetter;
import io.modelpool.v1.ResultStatus;
import io.modelpool.worker.config.WorkerConfig;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The near-limit poison, as a user met it: one partition, a good request, two undecodable records just under the
 * broker's message limit (the devstack broker keeps Kafka's default {@code message.max.bytes} of 1,048,588 bytes,
 * so it accepts them), then four good requests. A dead letter that wrapped such a record whole would be over the
 * producer's {@code max.request.size} and could never be published; the partition then stayed pinned below it.
 * Now every good request is answered, each garbage record is dead-lettered with its size and hash instead of its
 * value, and the group's committed offset passes them all.
 */
class NearLimitPoisonProcessTest {

    private static final int[] GARBAGE_SIZES = {1_048_401, 1_048_481};

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {WorkerConfig.AT_LEAST_ONCE, WorkerConfig.EXACTLY_ONCE})
    void recordsJustUnderTheBrokerLimitAreDeadLetteredAndThePartitionMovesOn(String guarantee) throws Exception {
        try (Job job = Job.create(Job.stack(), 1, true);
                KafkaProducer<byte[], byte[]> raw = rawProducer(job)) {
            job.send("good-0", job.shortTexts(1), 0);
            job.flush();
            List<String> hashes = new ArrayList<>();
            Random random = new Random(7);
            for (int size : GARBAGE_SIZES) {
                byte[] garbage = new byte[size];
                random.nextBytes(garbage);
                garbage[0] = 0x7f; // not the Confluent magic byte: undecodable
                hashes.add(HexFormat.of()
                        .formatHex(MessageDigest.getInstance("SHA-256").digest(garbage)));
                raw.send(new ProducerRecord<>(job.requestTopic(), 0, null, garbage))
                        .get(30, TimeUnit.SECONDS);
            }
            for (int i = 1; i <= 4; i++) {
                job.send("good-" + i, job.shortTexts(1), 0);
            }
            job.flush();

            try (WorkerProcess worker = WorkerProcess.start(
                    "near-limit-" + guarantee,
                    job.workerSettings(
                            "near-limit",
                            GracefulShutdownProcessTest.FAST,
                            Map.of(WorkerConfig.PROCESSING_GUARANTEE, guarantee)))) {
                worker.awaitAssignment(GracefulShutdownProcessTest.START);
                await().atMost(Duration.ofMinutes(1))
                        .pollInterval(Duration.ofMillis(100))
                        .until(job::allAnswered);
                assertThat(job.answers())
                        .hasSize(5)
                        .allSatisfy((id, answers) -> assertThat(answers)
                                .extracting(Job.Answer::status)
                                .containsOnly(ResultStatus.OK));

                List<DeadLetter> letters = deadLetters(job, 2);
                assertThat(letters).extracting(DeadLetter::getSourceOffset).containsExactly(1L, 2L);
                assertThat(letters)
                        .allSatisfy(l -> assertThat(l.getOriginalValue())
                                .as("value left out")
                                .isNull());
                assertThat(letters)
                        .extracting(DeadLetter::getOriginalValueSize)
                        .containsExactly(GARBAGE_SIZES[0], GARBAGE_SIZES[1]);
                assertThat(letters)
                        .extracting(DeadLetter::getOriginalValueSha256)
                        .containsExactlyElementsOf(hashes);

                TopicPartition tp = new TopicPartition(job.requestTopic(), 0);
                await().atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> job.committed().getOrDefault(tp, -1L) == 7L);
                worker.sigterm();
                assertThat(worker.awaitExit(Duration.ofSeconds(30)).status()).isZero();
                assertThat(worker.log()).doesNotContain("RecordTooLargeException");
            }
        }
    }

    @Test
    void aProducerTooSmallForTheLargestDeadLetterIsRefusedAtStartUpWithWhatToChange() {
        try (Job job = Job.create(1);
                WorkerProcess worker = WorkerProcess.start(
                        "near-limit-refused",
                        job.workerSettings(
                                "refused",
                                GracefulShutdownProcessTest.FAST,
                                Map.of("kafka.producer.max.request.size", "100000")))) {
            assertThat(worker.awaitExit(Duration.ofSeconds(60)).status()).isEqualTo(2);
            assertThat(worker.log())
                    .contains("kafka.producer.max.request.size=100000 is below the largest dead " + "letter")
                    .contains("set dead-letter.max-value-bytes to at most 91808");
        }
    }

    private static KafkaProducer<byte[], byte[]> rawProducer(Job job) {
        return new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        job.devStack().bootstrapServers(),
                        ProducerConfig.ACKS_CONFIG,
                        "all",
                        ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                        2_000_000),
                new ByteArraySerializer(),
                new ByteArraySerializer());
    }

    private static List<DeadLetter> deadLetters(Job job, int expected) {
        Map<String, Object> c = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                job.devStack().bootstrapServers(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed");
        try (KafkaConsumer<byte[], DeadLetter> consumer = new KafkaConsumer<>(
                c,
                new ByteArrayDeserializer(),
                ConfluentAvroSerde.specificDeserializer(
                        DeadLetter.class,
                        Map.of("schema.registry.url", job.devStack().schemaRegistryUrl()),
                        false))) {
            TopicPartition tp = new TopicPartition(job.deadLetterTopic(), 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            List<DeadLetter> out = new ArrayList<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value()));
                return out.size() >= expected;
            });
            return List.copyOf(out);
        }
    }
}

package io.modelpool.worker.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.observe.Scrape;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A native batch that runs far longer than the drain does not hold the worker's exit: the worker (its own JVM, real
 * SIGTERM) runs the real MiniLM on one thread with one request of 160 long texts as a single ONNX Runtime call of
 * about 40,000 tokens, tens of seconds of work ({@code process/minilm-long-batch.yaml}; docs/reliability.md gives the
 * figure). Signalled once that batch runs, it abandons the request at the drain timeout, terminates the run instead
 * of joining it, commits what is done and exits 0 within the drain plus one second, printing the final line; the
 * abandoned request stays uncommitted, so the next member of the group is handed it.
 */
class LongBatchShutdownProcessTest {

    private static final Logger log = LoggerFactory.getLogger(LongBatchShutdownProcessTest.class);
    private static final String LONG_BATCH = "classpath:process/minilm-long-batch.yaml";
    private static final Duration DRAIN = Duration.ofSeconds(1);

    @Test
    void aBatchOfTensOfSecondsAtTheSignalIsTerminatedAndTheWorkerExitsWithinTheDrainPlusOneSecond() throws Exception {
        int port = freePort();
        try (Job job = Job.create(1);
                WorkerProcess worker = WorkerProcess.start(
                        "long-batch",
                        job.workerSettings(
                                "long-batch",
                                LONG_BATCH,
                                Map.of(
                                        WorkerConfig.DRAIN_TIMEOUT_MS,
                                        Long.toString(DRAIN.toMillis()),
                                        WorkerConfig.HTTP_PORT,
                                        Integer.toString(port))))) {
            worker.awaitAssignment(GracefulShutdownProcessTest.START)
                    .awaitLog("Signal handlers installed", GracefulShutdownProcessTest.START);
            job.send("canary", job.shortTexts(1));
            job.send("heavy", job.longTexts(160));
            job.flush();
            await().atMost(Duration.ofMinutes(1))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> job.answers().containsKey("canary"));
            String base = "http://127.0.0.1:" + port;
            await("the heavy request's batch runs")
                    .atMost(Duration.ofMinutes(1))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> Scrape.of(base).sum("modelpool_pool_in_flight_tasks") >= 160);

            worker.sigterm();
            WorkerProcess.Exit exit = worker.awaitExit(Duration.ofSeconds(30));
            log.info(
                    "Worker exited {} ms after SIGTERM with a drain of {} ms; it reports {} s",
                    exit.afterSignal().toMillis(),
                    DRAIN.toMillis(),
                    worker.reportedShutdownSeconds());

            assertThat(exit.status()).as("an abandoning drain still exits 0").isZero();
            assertThat(exit.afterSignal())
                    .as("from the signal to the process's end, seen from outside")
                    .isLessThanOrEqualTo(DRAIN.plusSeconds(1));
            assertThat(worker.log())
                    .contains("Drain timed out after " + DRAIN.toMillis() + " ms: 1 requests abandoned")
                    .contains("Shutdown complete (")
                    .contains("0 requests drained, 1 abandoned: not committed")
                    .doesNotContain("overran its budget");
            assertThat(worker.reportedShutdownSeconds())
                    .as("the worker's own account, from the signal")
                    .isGreaterThanOrEqualTo(DRAIN.toMillis() / 1000.0)
                    .isLessThanOrEqualTo(DRAIN.toMillis() / 1000.0 + 1);
            assertThat(job.answers())
                    .as("nothing is published for the abandoned request")
                    .containsOnlyKeys("canary");
            long heavy = job.landings().get("heavy").offset();
            assertThat(job.committed())
                    .as("the commit stops at the abandoned request")
                    .containsEntry(job.landings().get("heavy").partition(), heavy);
            assertThat(nextRecordForTheGroup(job))
                    .as("the next member of the group is handed the heavy request")
                    .isEqualTo(heavy);
        }
    }

    /** The offset of the first record a fresh member of the worker's group is given. */
    private static long nextRecordForTheGroup(Job job) {
        Map<String, Object> c = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                job.devStack().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG,
                job.group(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest");
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(job.requestTopic()));
            AtomicReference<ConsumerRecord<byte[], byte[]>> first = new AtomicReference<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    first.compareAndSet(null, r);
                }
                return first.get() != null;
            });
            return first.get().offset();
        }
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}

package io.modelpool.worker.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.worker.config.WorkerConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code processing.guarantee} under crashes, each worker in its own JVM on the devstack broker: exactly_once gives
 * a {@code read_committed} reader one result per request however often the worker is killed; at_least_once gives
 * at least one, and the duplicates are counted; a worker whose transactional producer is fenced by a newer instance
 * stops without committing.
 *
 * <p>The default run kills 3 times during 5,000 requests; {@code -Dmodelpool.eos.kills=N} and
 * {@code -Dmodelpool.eos.requests=N} resize it. {@link ExactlyOnceSoakProcessTest} runs the full size
 * (10 kills, 20,000 requests) with {@code -Pfleet}.
 */
class ExactlyOnceProcessTest {

    private static final Logger log = LoggerFactory.getLogger(ExactlyOnceProcessTest.class);

    static int kills() {
        return Integer.getInteger("modelpool.eos.kills", 3);
    }

    static int requests() {
        return Integer.getInteger("modelpool.eos.requests", 5_000);
    }

    @Test
    void exactlyOnceGivesAReadCommittedReaderOneResultPerRequestThroughRepeatedSigkills() {
        SigkillScenario.Outcome o = SigkillScenario.run("eos", WorkerConfig.EXACTLY_ONCE, requests(), kills(), 7);
        report(o, WorkerConfig.EXACTLY_ONCE);
        assertThat(o.missing()).as("requests without a committed result").isEmpty();
        assertThat(o.duplicates())
                .as("committed results beyond the first per request")
                .isZero();
    }

    @Test
    void atLeastOnceAnswersEveryRequestThroughRepeatedSigkillsAndCountsTheDuplicates() {
        SigkillScenario.Outcome o = SigkillScenario.run("alo", WorkerConfig.AT_LEAST_ONCE, requests(), kills(), 7);
        report(o, WorkerConfig.AT_LEAST_ONCE);
        assertThat(o.missing()).as("requests without a result").isEmpty();
        assertThat(o.uncommittedCopies())
                .as("at_least_once writes no transactions, so nothing is left uncommitted")
                .isZero();
    }

    static void report(SigkillScenario.Outcome o, String guarantee) {
        String line = String.format(
                "%s: %d requests, %d SIGKILLs and restarts, %.1f s: %d missing, %d duplicate "
                        + "results (%d requests answered more than once) seen by a read_committed reader; %d result "
                        + "records written in aborted transactions",
                guarantee,
                o.requests(),
                o.kills(),
                o.elapsed().toMillis() / 1000.0,
                o.missing().size(),
                o.duplicates(),
                o.requestsAnsweredTwiceOrMore(),
                o.uncommittedCopies());
        log.info(line);
        System.out.println(line);
    }

    @Test
    void exactlyOnceHoldsThroughRebalancesWhenASecondWorkerJoinsAndTheFirstOneLeaves() {
        try (Job job = Job.create(4);
                CommittedResults committed = new CommittedResults(job)) {
            int n = 4000;
            List<String> texts = job.shortTexts(997);
            for (int i = 0; i < n; i++) {
                job.send("rb-" + i, List.of(texts.get(i % texts.size())));
            }
            job.flush();
            Set<String> ids = job.landings().keySet();
            Map<String, String> eos = Map.of(
                    WorkerConfig.PROCESSING_GUARANTEE,
                    WorkerConfig.EXACTLY_ONCE,
                    WorkerConfig.JOBS_TRACKER_ENABLED,
                    "false");
            try (WorkerProcess first = WorkerProcess.start(
                    "eos-rebalance-first", job.workerSettings("first", SigkillScenario.MANIFEST, eos))) {
                first.awaitAssignment(SigkillScenario.START);
                await().atMost(Duration.ofMinutes(2))
                        .pollInterval(Duration.ofMillis(50))
                        .until(() -> committed.answered(ids) >= n / 5);
                try (WorkerProcess second = WorkerProcess.start(
                        "eos-rebalance-second", job.workerSettings("second", SigkillScenario.MANIFEST, eos))) {
                    // the second worker joins: the first revokes half its partitions with a transaction open
                    second.awaitAssignment(SigkillScenario.START);
                    first.awaitLog("Partitions revoked: [", SigkillScenario.START);
                    await().atMost(Duration.ofMinutes(2))
                            .pollInterval(Duration.ofMillis(50))
                            .until(() -> committed.answered(ids) >= 3 * n / 5);
                    // the first leaves: its final transaction commits, the second takes its partitions
                    first.sigterm();
                    assertThat(first.awaitExit(Duration.ofSeconds(30)).status()).isZero();
                    await().atMost(Duration.ofMinutes(3))
                            .pollInterval(Duration.ofMillis(200))
                            .until(() -> committed.answered(ids) == n);
                    second.sigterm();
                    assertThat(second.awaitExit(Duration.ofSeconds(30)).status())
                            .isZero();
                }
            }
            assertThat(committed.counts())
                    .as("committed results per request")
                    .hasSize(n)
                    .allSatisfy((id, c) -> assertThat(c).as(id).isEqualTo(1));
        }
    }

    @Test
    void aWorkerFencedByANewerInstanceWithItsTransactionalIdStopsWithoutCommitting() {
        try (Job job = Job.create(2);
                CommittedResults committed = new CommittedResults(job)) {
            int n = 3000;
            List<String> texts = job.shortTexts(n);
            for (int i = 0; i < n; i++) {
                job.send("z-" + i, List.of(texts.get(i)));
            }
            job.flush();
            Set<String> ids = job.landings().keySet();
            String transactionalId = job.prefix() + "-zombie";
            Map<String, String> settings = job.workerSettings(
                    "zombie",
                    SigkillScenario.MANIFEST,
                    Map.of(
                            WorkerConfig.PROCESSING_GUARANTEE,
                            WorkerConfig.EXACTLY_ONCE,
                            WorkerConfig.TRANSACTIONAL_ID,
                            transactionalId,
                            WorkerConfig.JOBS_TRACKER_ENABLED,
                            "false"));
            try (WorkerProcess zombie = WorkerProcess.start("eos-zombie", settings)) {
                zombie.awaitAssignment(SigkillScenario.START);
                await().atMost(Duration.ofMinutes(2))
                        .pollInterval(Duration.ofMillis(50))
                        .until(() -> committed.answered(ids) >= 200);

                // A newer instance with the same transactional id registers: the broker bumps the producer epoch
                // and aborts the zombie's open transaction.
                try (KafkaProducer<byte[], byte[]> newer = new KafkaProducer<>(
                        Map.of(
                                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                Job.stack().bootstrapServers(),
                                ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                                transactionalId),
                        new ByteArraySerializer(),
                        new ByteArraySerializer())) {
                    newer.initTransactions();
                }
                WorkerProcess.Exit exit = zombie.awaitExit(Duration.ofSeconds(30));
                assertThat(exit.status())
                        .as("a fenced worker exits as failed, for its orchestrator to see")
                        .isEqualTo(1);
                assertThat(zombie.log())
                        // the broker reports the bumped epoch as a fence or, racing an open transaction, as an
                        // invalid transaction state: either way the worker must stop without committing
                        .containsAnyOf("Producer fenced", "InvalidTxnStateException")
                        .contains("stopping without committing")
                        .doesNotContain("Exception in thread")
                        .doesNotContain("Graceful shutdown complete");
            }

            // Nothing the zombie did after its last commit is visible, and nothing it committed lacks its result:
            // the committed results are exactly the requests below the committed positions.
            Map<TopicPartition, Long> positions = job.committed();
            Map<String, Integer> counts = committed.counts();
            assertThat(counts.values())
                    .as("results per request")
                    .allSatisfy(c -> assertThat(c).isEqualTo(1));
            Map<String, Long> expected = new TreeMap<>();
            job.landings().values().forEach(l -> {
                if (l.offset() < positions.getOrDefault(l.partition(), 0L)) {
                    expected.put(l.requestId(), 1L);
                }
            });
            assertThat(new TreeMap<>(counts).keySet())
                    .as("committed results = requests below the committed offsets")
                    .containsExactlyElementsOf(expected.keySet());
            assertThat(counts.size()).as("the zombie was stopped midway").isLessThan(n);
            log.info("Fenced zombie: {} of {} requests committed at positions {}", counts.size(), n, positions);

            // The newer instance finishes the job: still one committed result per request.
            try (WorkerProcess successor = WorkerProcess.start("eos-successor", settings)) {
                successor.awaitAssignment(SigkillScenario.START);
                await().atMost(Duration.ofMinutes(3))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> committed.answered(ids) == n);
                successor.sigterm();
                assertThat(successor.awaitExit(Duration.ofSeconds(30)).status()).isZero();
            }
            assertThat(committed.counts())
                    .hasSize(n)
                    .allSatisfy((id, c) -> assertThat(c).as(id).isEqualTo(1));
        }
    }
}

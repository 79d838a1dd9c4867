package io.modelpool.kafka;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;

/**
 * Waits until every partition of freshly created topics accepts writes, on any Kafka cluster.
 *
 * <p>Why: a KRaft broker publishes a new partition's leader in its metadata answers a moment before its replica
 * manager has created the partition. A producer that writes at once gets {@code NOT_LEADER_OR_FOLLOWER} for its
 * first batch while its later in-flight batches are appended; the retried first batch is then out of sequence
 * for the idempotent producer and is retried until {@code delivery.timeout.ms} expires it (records lost to the
 * sender, seen here as "Expiring N record(s) ... since batch creation"). Asking each partition for its latest
 * offset goes through the replica manager, so once every partition answers, the race is over.
 *
 * <p>Thread safety: stateless; the {@link Admin} passed in must be usable from the calling thread.
 */
public final class TopicReadiness {

    private static final long RETRY_PAUSE_MS = 20;

    private TopicReadiness() {}

    /**
     * Returns when every partition of {@code topics} answers a list-offsets request.
     *
     * @throws IllegalStateException naming the topics if they are not writable within {@code timeout}, or if Kafka
     *                               answers with an error that is not retriable
     */
    public static void awaitWritable(Admin admin, Collection<String> topics, Duration timeout) {
        if (topics.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> names = List.copyOf(topics);
        while (true) {
            try {
                Map<String, TopicDescription> described =
                        admin.describeTopics(names).allTopicNames().get(remainingMs(deadline), TimeUnit.MILLISECONDS);
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                described.forEach((name, d) -> d.partitions()
                        .forEach(p -> latest.put(new TopicPartition(name, p.partition()), OffsetSpec.latest())));
                admin.listOffsets(latest).all().get(remainingMs(deadline), TimeUnit.MILLISECONDS);
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof RetriableException)) {
                    throw new IllegalStateException(
                            "cannot check that topics " + names + " are writable: "
                                    + e.getCause().getMessage(),
                            e.getCause());
                }
            } catch (TimeoutException e) {
                throw new IllegalStateException("topics " + names + " are not writable within " + timeout, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for topics " + names, e);
            }
            if (remainingMs(deadline) <= RETRY_PAUSE_MS) {
                throw new IllegalStateException("topics " + names + " are not writable within " + timeout);
            }
            pause();
        }
    }

    private static void pause() {
        try {
            Thread.sleep(RETRY_PAUSE_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for topics", e);
        }
    }

    private static long remainingMs(long deadline) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }
}

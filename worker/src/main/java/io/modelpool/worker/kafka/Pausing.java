package io.modelpool.worker.kafka;

import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Keeps the consumer's paused partitions in line with what the intake wants: all assigned partitions paused while
 * it must not take records (backpressure, a dependency backoff, shutdown), else those at their own share of the
 * work in flight. Only partitions it paused
 * itself are resumed. The consumer keeps polling while paused, so the group never sees the worker as stuck.
 *
 * <p>Not thread-safe: the intake thread's.
 */
final class Pausing {

    private final Set<TopicPartition> pausedByUs = new HashSet<>();

    /**
     * @param all      pause every assigned partition
     * @param oneByOne which partitions to pause on their own when not all are (a partition at its share of the
     *                 work in flight)
     */
    void reconcile(Consumer<?, ?> consumer, boolean all, Predicate<TopicPartition> oneByOne) {
        Set<TopicPartition> assignment = consumer.assignment();
        Set<TopicPartition> wanted = new HashSet<>();
        for (TopicPartition tp : assignment) {
            if (all || oneByOne.test(tp)) {
                wanted.add(tp);
            }
        }
        Set<TopicPartition> toPause = new HashSet<>(wanted);
        toPause.removeAll(pausedByUs);
        if (!toPause.isEmpty()) {
            consumer.pause(toPause);
        }
        Set<TopicPartition> toResume = new HashSet<>(pausedByUs);
        toResume.removeAll(wanted);
        toResume.retainAll(assignment);
        if (!toResume.isEmpty()) {
            consumer.resume(toResume);
        }
        pausedByUs.clear();
        pausedByUs.addAll(wanted);
    }

    void forget(Collection<TopicPartition> gone) {
        pausedByUs.removeAll(gone);
    }
}

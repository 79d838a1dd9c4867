package io.modelpool.worker.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AgingQueueTest {
    private static final long SECOND = 1_000_000_000L;

    /** A task: its class, when it was queued (ns), and a name. */
    private record Task(int priority, long at, String name) {}

    private static AgingQueue<Task> queue(Duration aging, double minShare) {
        return new AgingQueue<>(new PriorityPolicy(2, aging, minShare), Task::priority, Task::at);
    }

    private static List<String> pollAll(AgingQueue<Task> queue, long now) {
        List<String> names = new ArrayList<>();
        Task t;
        while ((t = queue.poll(now)) != null) {
            names.add(t.name());
        }
        return names;
    }

    @Test
    void interactiveTasksGoAheadOfBulkTasksQueuedBeforeThemAndEachClassStaysFifo() {
        AgingQueue<Task> queue = queue(Duration.ofSeconds(2), 0);
        queue.add(new Task(1, 0, "bulk-1"));
        queue.add(new Task(1, 1, "bulk-2"));
        queue.add(new Task(0, 2, "interactive-1"));
        queue.add(new Task(1, 3, "bulk-3"));
        queue.add(new Task(0, 4, "interactive-2"));

        assertThat(pollAll(queue, 10)).containsExactly("interactive-1", "interactive-2", "bulk-1", "bulk-2", "bulk-3");
        assertThat(queue.isEmpty()).isTrue();
    }

    @Test
    void aBulkTaskThatWaitedPastTheAgingTimeIsServedBeforeYoungerInteractiveTasks() {
        AgingQueue<Task> queue = queue(Duration.ofSeconds(2), 0);
        queue.add(new Task(1, 0, "old-bulk"));
        queue.add(new Task(1, 3 * SECOND, "young-bulk"));
        queue.add(new Task(0, 2 * SECOND + 1, "interactive-1"));
        queue.add(new Task(0, 2 * SECOND + 2, "interactive-2"));

        long now = 3 * SECOND;
        assertThat(queue.poll(now).name()).as("waited 3 s, past the 2 s aging").isEqualTo("old-bulk");
        assertThat(pollAll(queue, now))
                .as("the young bulk task has not aged")
                .containsExactly("interactive-1", "interactive-2", "young-bulk");
    }

    @Test
    void anInteractiveTaskOlderThanTheAgedBulkTaskStillGoesFirst() {
        AgingQueue<Task> queue = queue(Duration.ofSeconds(1), 0);
        queue.add(new Task(0, 0, "interactive"));
        queue.add(new Task(1, 1, "bulk"));

        assertThat(pollAll(queue, 5 * SECOND)).containsExactly("interactive", "bulk");
    }

    @Test
    void underAFloodOfInteractiveTasksBulkGetsItsMinimumShareOfTheTakes() {
        AgingQueue<Task> queue = queue(Duration.ofHours(1), 0.1);
        for (int i = 0; i < 1000; i++) {
            queue.add(new Task(1, i, "bulk"));
        }
        for (int i = 0; i < 1000; i++) {
            queue.add(new Task(0, 1000 + i, "interactive"));
        }

        List<String> first500 = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            first500.add(queue.poll(0).name());
        }

        long bulk = first500.stream().filter("bulk"::equals).count();
        assertThat(bulk)
                .as("bulk takes among the first 500 while interactive work always waits")
                .isBetween(45L, 50L);
        assertThat(first500.subList(0, 9)).as("interactive first").containsOnly("interactive");
        assertThat(first500.subList(0, 11)).contains("bulk");
    }

    @Test
    void withoutCompetitionBulkTakesEverySlotAndEarnsNoCreditForLater() {
        AgingQueue<Task> queue = queue(Duration.ofHours(1), 0.5);
        for (int i = 0; i < 10; i++) {
            queue.add(new Task(1, i, "bulk-" + i));
        }
        assertThat(pollAll(queue, 0)).hasSize(10).first().isEqualTo("bulk-0");

        queue.add(new Task(0, 20, "interactive-1"));
        queue.add(new Task(0, 21, "interactive-2"));
        queue.add(new Task(1, 22, "bulk-late"));
        assertThat(pollAll(queue, 0))
                .as("no banked credit: interactive goes first, then bulk's share")
                .containsExactly("interactive-1", "interactive-2", "bulk-late");
    }

    @Test
    void oldestIsTheLongestWaitingTaskOfAnyClassAndDrainEmptiesEveryClass() {
        AgingQueue<Task> queue = queue(Duration.ofSeconds(2), 0.1);
        queue.add(new Task(0, 5, "interactive"));
        queue.add(new Task(1, 3, "bulk"));

        assertThat(queue.oldest().name()).isEqualTo("bulk");
        assertThat(queue.size(0)).isOne();
        assertThat(queue.size(1)).isOne();
        assertThat(queue.drain()).extracting(Task::name).containsExactly("interactive", "bulk");
        assertThat(queue.size()).isZero();
        assertThat(queue.oldest()).isNull();
    }

    @Test
    void aClassOutsideThePolicyIsRefused() {
        AgingQueue<Task> queue = queue(Duration.ofSeconds(2), 0.1);

        assertThatThrownBy(() -> queue.add(new Task(2, 0, "third")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("priority class 2 is out of range 0..1");
    }
}

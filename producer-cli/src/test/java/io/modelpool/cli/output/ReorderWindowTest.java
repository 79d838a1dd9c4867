package io.modelpool.cli.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReorderWindowTest {

    @Test
    void releasesCompletionsInSequenceOrderWhateverOrderTheyArriveIn() {
        ReorderWindow<String> window = new ReorderWindow<>(4);
        long a = window.open();
        long b = window.open();
        long c = window.open();

        window.complete(c, "c");
        window.complete(b, "b");
        assertThat(window.pollNext()).as("a is still pending").isNull();

        window.complete(a, "a");
        assertThat(window.pollNext()).isEqualTo("a");
        assertThat(window.pollNext()).isEqualTo("b");
        assertThat(window.pollNext()).isEqualTo("c");
        assertThat(window.pollNext()).isNull();
        assertThat(window.unreleased()).isZero();
    }

    @Test
    void refusesToOpenMoreThanItsCapacityUntilTheOldestIsReleased() {
        ReorderWindow<Integer> window = new ReorderWindow<>(2);
        long first = window.open();
        long second = window.open();

        assertThat(window.hasRoom()).isFalse();
        assertThatThrownBy(window::open)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("full");

        window.complete(second, 2);
        assertThat(window.hasRoom())
                .as("a completed entry still holds its slot until released")
                .isFalse();
        window.complete(first, 1);
        assertThat(window.pollNext()).isEqualTo(1);
        assertThat(window.hasRoom()).isTrue();
        assertThat(window.open()).isEqualTo(2);
    }

    @Test
    void rejectsCompletionsOfSequencesThatAreNotOpenOrAlreadyCompleted() {
        ReorderWindow<String> window = new ReorderWindow<>(3);
        long s = window.open();
        window.complete(s, "x");

        assertThatThrownBy(() -> window.complete(s, "again")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> window.complete(5, "future")).isInstanceOf(IllegalArgumentException.class);
        window.pollNext();
        assertThatThrownBy(() -> window.complete(s, "released")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aLongShuffledRunComesOutInOrderWithNeverMoreThanCapacityUnreleased() {
        int capacity = 16;
        ReorderWindow<Long> window = new ReorderWindow<>(capacity);
        Random random = new Random(7);
        List<Long> pending = new ArrayList<>();
        List<Long> released = new ArrayList<>();
        int total = 10_000;
        while (released.size() < total) {
            while (window.hasRoom() && window.opened() < total) {
                pending.add(window.open());
            }
            assertThat(window.unreleased()).isLessThanOrEqualTo(capacity);
            Collections.shuffle(pending, random);
            int answer = 1 + random.nextInt(pending.size());
            for (int i = 0; i < answer; i++) {
                long seq = pending.remove(pending.size() - 1);
                window.complete(seq, seq);
            }
            Long next;
            while ((next = window.pollNext()) != null) {
                released.add(next);
            }
        }
        for (int i = 0; i < total; i++) {
            assertThat(released.get(i)).isEqualTo(i);
        }
    }
}

package io.modelpool.worker.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatcherTest {

    private static List<List<String>> cut(List<String> window, int maxItems, long maxTokens) {
        return Batcher.sortAndCut(new ArrayList<>(window), String::length, maxItems, maxTokens);
    }

    @Test
    void sortsTheWindowShortestFirstBeforeCutting() {
        List<List<String>> batches = cut(List.of("ccc", "a", "bb", "dddd"), 8, 1_000);

        assertThat(batches).containsExactly(List.of("a", "bb", "ccc", "dddd"));
    }

    @Test
    void closesABatchAtMaxItems() {
        List<List<String>> batches = cut(List.of("a", "b", "c", "d", "e"), 2, 1_000);

        assertThat(batches).containsExactly(List.of("a", "b"), List.of("c", "d"), List.of("e"));
    }

    @Test
    void closesABatchBeforeItsPaddedCostPassesTheTokenBudget() {
        // padded cost = count x longest: [aa, bb] = 4, adding cccc would be 3 x 4 = 12 > 8
        List<List<String>> batches = cut(List.of("cccc", "aa", "bb", "dddd"), 8, 8);

        assertThat(batches).containsExactly(List.of("aa", "bb"), List.of("cccc", "dddd"));
    }

    @Test
    void aTaskLongerThanTheWholeBudgetRunsAlone() {
        List<List<String>> batches = cut(List.of("a", "llllllllll", "b"), 8, 4);

        assertThat(batches).containsExactly(List.of("a", "b"), List.of("llllllllll"));
    }

    @Test
    void maxItemsOfOneGivesOneBatchPerTask() {
        List<List<String>> batches = cut(List.of("bb", "a"), 1, 1_000);

        assertThat(batches).containsExactly(List.of("a"), List.of("bb"));
    }

    @Test
    void everyTaskLandsInExactlyOneBatch() {
        List<String> window = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            window.add("x".repeat(1 + (i * 37) % 23) + i);
        }
        List<List<String>> batches = cut(window, 7, 120);

        assertThat(batches.stream().flatMap(List::stream).toList()).containsExactlyInAnyOrderElementsOf(window);
        assertThat(batches).allSatisfy(b -> {
            assertThat(b).hasSizeLessThanOrEqualTo(7);
            if (b.size() > 1) {
                assertThat((long) b.size() * b.get(b.size() - 1).length()).isLessThanOrEqualTo(120);
            }
        });
    }
}

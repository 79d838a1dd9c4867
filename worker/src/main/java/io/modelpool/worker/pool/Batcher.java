package io.modelpool.worker.pool;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * Cuts a window of queued tasks into batches.
 *
 * <p>The window is first sorted by task length (stable, shortest first), so that each batch holds tasks of
 * similar length and the padding a batched model computes stays small: with length-sorted windows the padded
 * cost of a batch is close to the sum of its real lengths, while unsorted padded batches of mixed sentences
 * waste about half their compute on padding. The sorted run is then cut greedily: a batch closes when it
 * holds {@code maxItems} tasks, or when adding the next task would make its padded cost (count times the
 * longest length, which after sorting is the newcomer's) exceed {@code maxTokens}. A task longer than the
 * whole budget forms a batch of its own rather than being refused: the budget bounds batching, not input.
 */
final class Batcher {

    private Batcher() {}

    /**
     * Sorts {@code window} in place by {@code length}, shortest first, and returns consecutive batches that
     * together hold every element exactly once, in sorted order.
     */
    public static <T> List<List<T>> sortAndCut(
            List<T> window, ToIntFunction<? super T> length, int maxItems, long maxTokens) {
        if (window.size() > 1) {
            window.sort(Comparator.comparingInt(length));
        }
        if (window.size() <= 1 || maxItems == 1) {
            List<List<T>> singles = new ArrayList<>(window.size());
            for (T t : window) {
                singles.add(List.of(t));
            }
            return singles;
        }
        List<List<T>> batches = new ArrayList<>();
        int from = 0;
        int count = 0;
        for (int i = 0; i < window.size(); i++) {
            long longest = Math.max(1, length.applyAsInt(window.get(i)));
            boolean full = count == maxItems || (count > 0 && (count + 1) * longest > maxTokens);
            if (full) {
                batches.add(window.subList(from, i));
                from = i;
                count = 0;
            }
            count++;
        }
        if (count > 0) {
            batches.add(window.subList(from, window.size()));
        }
        return batches;
    }
}

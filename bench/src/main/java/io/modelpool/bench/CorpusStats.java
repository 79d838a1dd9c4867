package io.modelpool.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The shape of a corpus as the model sees it: words and tokens per sentence, and how much of a batched run
 * is padding, sorted and unsorted. Computed once, outside the measured passes.
 */
record CorpusStats(
        int sentences,
        int minWords,
        int medianWords,
        int maxWords,
        int minTokens,
        int medianTokens,
        int maxTokens,
        long totalTokens,
        double sortedPadding,
        SortedMap<Integer, Double> windowPadding,
        double unsortedPadding,
        int batchSize) {

    /**
     * @param batchSize   the batch size whose padding is reported
     * @param sortWindows the pool's sort windows to report: batches cut from runs of this many texts, each run
     *                    sorted by length first
     */
    static CorpusStats of(
            List<String> corpus, HuggingFaceTokenizer tokenizer, int batchSize, Collection<Integer> sortWindows) {
        int[] words = new int[corpus.size()];
        int[] tokens = new int[corpus.size()];
        long total = 0;
        for (int i = 0; i < corpus.size(); i++) {
            words[i] = corpus.get(i).split("\\s+").length;
            tokens[i] = tokenizer.encode(corpus.get(i)).getIds().length;
            total += tokens[i];
        }
        int[] sortedWords = words.clone();
        Arrays.sort(sortedWords);
        int[] sortedTokens = tokens.clone();
        Arrays.sort(sortedTokens);
        SortedMap<Integer, Double> windowPadding = new TreeMap<>();
        for (int window : sortWindows) {
            windowPadding.put(window, paddingShare(sortedWithin(tokens, window), batchSize, total));
        }
        return new CorpusStats(
                corpus.size(),
                sortedWords[0],
                sortedWords[sortedWords.length / 2],
                sortedWords[sortedWords.length - 1],
                sortedTokens[0],
                sortedTokens[sortedTokens.length / 2],
                sortedTokens[sortedTokens.length - 1],
                total,
                paddingShare(sortedTokens, batchSize, total),
                Collections.unmodifiableSortedMap(windowPadding),
                paddingShare(tokens, batchSize, total),
                batchSize);
    }

    /** One line on padding, for the console and the report. */
    String paddingSummary() {
        StringBuilder line = new StringBuilder(String.format(
                Locale.ROOT,
                "share of padding in batches of %d: %.1f%% sorted over the whole corpus",
                batchSize,
                100 * sortedPadding));
        windowPadding.forEach((window, share) ->
                line.append(String.format(Locale.ROOT, ", %.1f%% sorted within windows of %d", 100 * share, window)));
        return line.append(String.format(Locale.ROOT, ", %.1f%% unsorted", 100 * unsortedPadding))
                .toString();
    }

    /** The lengths with every run of {@code window} consecutive entries sorted, as the pool's batcher sees them. */
    private static int[] sortedWithin(int[] lengths, int window) {
        int[] copy = lengths.clone();
        for (int from = 0; from < copy.length; from += window) {
            Arrays.sort(copy, from, Math.min(copy.length, from + window));
        }
        return copy;
    }

    /** The share of a batched run's token positions that are padding, batches cut in the given order. */
    private static double paddingShare(int[] lengths, int batchSize, long realTokens) {
        List<Integer> batchMaxima = new ArrayList<>();
        long positions = 0;
        for (int from = 0; from < lengths.length; from += batchSize) {
            int to = Math.min(from + batchSize, lengths.length);
            int max = 0;
            for (int i = from; i < to; i++) {
                max = Math.max(max, lengths[i]);
            }
            batchMaxima.add(max);
            positions += (long) max * (to - from);
        }
        return positions == 0 ? 0 : 1.0 - (double) realTokens / positions;
    }
}

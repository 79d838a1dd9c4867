package io.modelpool.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The shape of a corpus as the model sees it: words and tokens per sentence, and how much of a batched run
 * is padding, sorted and unsorted. Computed once, outside the measured passes.
 */
record CorpusStats(int sentences, int minWords, int medianWords, int maxWords,
                   int minTokens, int medianTokens, int maxTokens, long totalTokens,
                   double sortedPadding, double unsortedPadding, int batchSize) {

    static CorpusStats of(List<String> corpus, HuggingFaceTokenizer tokenizer, int batchSize) {
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
        return new CorpusStats(corpus.size(),
                sortedWords[0], sortedWords[sortedWords.length / 2], sortedWords[sortedWords.length - 1],
                sortedTokens[0], sortedTokens[sortedTokens.length / 2], sortedTokens[sortedTokens.length - 1], total,
                paddingShare(sortedTokens, batchSize, total), paddingShare(tokens, batchSize, total), batchSize);
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

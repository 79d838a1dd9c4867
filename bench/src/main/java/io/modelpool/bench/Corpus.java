package io.modelpool.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A deterministic corpus of English-like sentences of realistic mixed length.
 *
 * <p>Word counts run from {@value #MIN_WORDS} to {@value #MAX_WORDS}, skewed towards short sentences the way
 * titles, queries and paragraphs of a real embedding job mix: {@code words = 5 + floor(56 * u^1.6)} for
 * uniform {@code u}, which gives a median of about 23 words, or about 28 MiniLM tokens. Words come from a
 * fixed vocabulary of common words, technical terms that the WordPiece tokenizer splits into several pieces,
 * numbers and punctuation, so the token-per-word ratio is close to real prose. The same seed always gives
 * the same corpus, on every JVM and platform ({@link SplittableRandom} is specified bit for bit).
 */
final class Corpus {

    static final int MIN_WORDS = 5;
    static final int MAX_WORDS = 60;
    static final long DEFAULT_SEED = 20_260_415L;

    private static final String[] COMMON =
            ("the of and to in a is that for it as was with be by on not he this are or his from at which but have an "
                            + "they you were her she there been one all we their has would when if so no what up out about who them "
                            + "some could him into its then two more time other than these people only new may first any like now "
                            + "my over such our man me even most made after also did many before must through back years where much "
                            + "your way well down should because each just those how too little state good very make world still own "
                            + "see men work long get here between both life being under never day same another know while last might "
                            + "us great old year off come since against go came right used take three small house report order "
                            + "system data service customer team market product price value result water city company country "
                            + "support process model change number group problem question program research study health policy")
                    .split(" ");

    private static final String[] VERBS =
            ("builds measures reports shows improves reduces increases supports describes explains requires provides "
                            + "includes delivers handles processes updates returns receives sends stores finds checks runs loads "
                            + "compares ranks groups retrieves summarises translates")
                    .split(" ");

    private static final String[] TECHNICAL =
            ("throughput latency embedding tokenizer quantisation consumer partition offset rebalancing idempotent "
                            + "serialisation backpressure microservice kubernetes observability deduplication asynchronous "
                            + "transformer multilingual preprocessing checkpointing orchestration heterogeneous vectorised "
                            + "photosynthesis archaeology cardiovascular thermodynamics macroeconomic biodiversity "
                            + "interoperability reproducibility accountability sustainability")
                    .split(" ");

    private static final String[] JOINTS = {",", ",", ";", "and", "but", "because", "while"};

    private Corpus() {}

    /**
     * Generates {@code count} sentences from {@code seed}; equal arguments give equal lists.
     *
     * @param count how many sentences, at least 1
     * @param seed  the generator's seed
     * @return an immutable list of {@code count} sentences
     */
    static List<String> generate(int count, long seed) {
        if (count < 1) {
            throw new IllegalArgumentException("corpus size must be at least 1, was " + count);
        }
        SplittableRandom random = new SplittableRandom(seed);
        List<String> sentences = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            sentences.add(sentence(random));
        }
        return List.copyOf(sentences);
    }

    /** The number of words of the next sentence: 5 to 60, skewed short. */
    static int wordCount(SplittableRandom random) {
        double u = random.nextDouble();
        return MIN_WORDS + (int) Math.floor((MAX_WORDS - MIN_WORDS + 1) * Math.pow(u, 1.6));
    }

    private static String sentence(SplittableRandom random) {
        int words = wordCount(random);
        StringBuilder text = new StringBuilder(words * 7);
        for (int w = 0; w < words; w++) {
            String word = word(random, w);
            if (w == 0) {
                text.append(Character.toUpperCase(word.charAt(0))).append(word, 1, word.length());
            } else if (w % 9 == 0 && random.nextInt(3) == 0) {
                String joint = JOINTS[random.nextInt(JOINTS.length)];
                // A conjunction takes the word's place, so the word count stays exact.
                text.append(joint.equals(",") || joint.equals(";") ? joint + " " + word : " " + joint);
            } else {
                text.append(' ').append(word);
            }
        }
        return text.append(random.nextInt(12) == 0 ? '?' : '.').toString();
    }

    private static String word(SplittableRandom random, int position) {
        int pick = random.nextInt(100);
        if (position > 0 && pick < 12) {
            return VERBS[random.nextInt(VERBS.length)];
        }
        if (pick < 18) {
            return TECHNICAL[random.nextInt(TECHNICAL.length)];
        }
        if (pick < 21) {
            return Integer.toString(random.nextInt(2_500));
        }
        return COMMON[random.nextInt(COMMON.length)];
    }
}

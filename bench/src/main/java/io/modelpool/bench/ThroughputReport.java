package io.modelpool.bench;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Renders a throughput run: a console table, the goal verdicts, and the Markdown section of docs/benchmarks.md. */
final class ThroughputReport {

    static final String SECTION = "embedding-throughput";

    /** A ratio the issue sets a floor for: {@code numerator / denominator >= required}. */
    record Goal(String numerator, String denominator, double required) {}

    /**
     * The goals for the shipped settings, then the same floors for every throughput pool run with
     * another sort window ({@code pool-throughput-swN}), for comparison.
     */
    static List<Goal> goals(Iterable<String> keys) {
        String invariant = PoolContender.Mode.INVARIANT.key();
        String throughput = PoolContender.Mode.THROUGHPUT.key();
        List<String> all = new ArrayList<>();
        keys.forEach(all::add);
        if (all.contains(UserPathContender.KEY)) {
            // Issue 25: the user's path against the pool alone, LangChain4j (at equal truncation where no text
            // reaches 128 tokens, or through the pool cut at 128) and the raw one-at-a-time ceiling.
            List<Goal> user = new ArrayList<>(List.of(
                    new Goal(UserPathContender.KEY, invariant, 0.9),
                    new Goal(UserPathContender.KEY, EmbeddingBench.LANGCHAIN4J, 1.1),
                    new Goal(UserPathContender.KEY, EmbeddingBench.RAW_INVARIANT, 0.95),
                    new Goal(invariant, EmbeddingBench.RAW_INVARIANT, 0.95)));
            for (String key : all) {
                if (key.startsWith(invariant + "-cut")) {
                    user.add(new Goal(key, EmbeddingBench.LANGCHAIN4J, 1.1));
                }
            }
            return user;
        }
        List<Goal> goals = new ArrayList<>(List.of(
                new Goal(invariant, EmbeddingBench.LANGCHAIN4J, 1.5),
                new Goal(invariant, EmbeddingBench.RAW_INVARIANT, 0.9),
                new Goal(throughput, EmbeddingBench.LANGCHAIN4J, 2.0),
                new Goal(throughput, EmbeddingBench.RAW_SORTED, 0.9)));
        for (String key : keys) {
            if (key.startsWith(throughput + "-")) {
                goals.add(new Goal(key, EmbeddingBench.LANGCHAIN4J, 2.0));
                goals.add(new Goal(key, EmbeddingBench.RAW_SORTED, 0.9));
            }
        }
        return goals;
    }

    private final MachineInfo machine;
    private final String loadAfter;
    private final CorpusStats corpus;
    private final Map<String, Contender> contenders;
    private final Map<String, PassStats> results;
    private final Map<String, Similarity.Agreement> agreement;
    private final int passes;
    private final int warmup;
    private final String command;
    private final Instant finished = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    ThroughputReport(
            MachineInfo machine,
            String loadAfter,
            CorpusStats corpus,
            Map<String, Contender> contenders,
            Map<String, PassStats> results,
            Map<String, Similarity.Agreement> agreement,
            int passes,
            int warmup,
            String command) {
        this.machine = machine;
        this.loadAfter = loadAfter;
        this.corpus = corpus;
        this.contenders = contenders;
        this.results = results;
        this.agreement = agreement;
        this.passes = passes;
        this.warmup = warmup;
        this.command = command;
    }

    String table() {
        StringBuilder out = new StringBuilder(String.format(
                Locale.ROOT,
                "%-22s %10s %10s %10s %10s %10s %12s%n",
                "contender",
                "median/s",
                "min/s",
                "max/s",
                "vs lc4j",
                "per CPU-s",
                "min cosine"));
        for (String key : results.keySet()) {
            PassStats stats = results.get(key);
            out.append(String.format(
                    Locale.ROOT,
                    "%-22s %10.1f %10.1f %10.1f %10s %10.1f %12.6f%n",
                    key,
                    stats.median(),
                    stats.min(),
                    stats.max(),
                    ratioText(key, EmbeddingBench.LANGCHAIN4J),
                    stats.cpuMedian(),
                    agreement.get(key).least()));
        }
        return out.toString();
    }

    String goals() {
        StringBuilder out = new StringBuilder();
        for (Goal goal : goals(results.keySet())) {
            if (results.containsKey(goal.numerator()) && results.containsKey(goal.denominator())) {
                out.append(String.format(
                        Locale.ROOT,
                        "goal %s / %s >= %.2fx: %.2fx (paired %.2fx, per CPU-second %.2fx) %s%n",
                        goal.numerator(),
                        goal.denominator(),
                        goal.required(),
                        ratio(goal.numerator(), goal.denominator()),
                        paired(goal.numerator(), goal.denominator()),
                        cpuRatio(goal.numerator(), goal.denominator()),
                        met(goal) ? "MET" : "MISSED"));
            }
        }
        return out.toString();
    }

    String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("### Latest run (").append(finished).append(")\n\n");
        md.append("Command, from the repository root:\n\n```\n").append(command).append("\n```\n\n");
        md.append(String.format(
                Locale.ROOT,
                "- Machine: %d cores, %s; %s, %s; ONNX Runtime %s.%n",
                machine.cores(),
                machine.cpuModel(),
                machine.jvm(),
                machine.heap(),
                machine.onnxRuntime()));
        md.append(String.format(
                Locale.ROOT,
                "- Load average (1, 5, 15 min): %s before, %s after.%n",
                machine.loadAverage(),
                loadAfter));
        md.append(String.format(
                Locale.ROOT,
                "- Corpus: %d sentences of %d-%d words (median %d), %d-%d tokens (median %d, %d in all). " + "%s.%n",
                corpus.sentences(),
                corpus.minWords(),
                corpus.maxWords(),
                corpus.medianWords(),
                corpus.minTokens(),
                corpus.maxTokens(),
                corpus.medianTokens(),
                corpus.totalTokens(),
                capitalised(corpus.paddingSummary())));
        md.append(String.format(
                Locale.ROOT,
                "- Method: %d warm-up and %d measured passes per contender, alternating in one JVM "
                        + "(each pass starts from the next contender).%n%n",
                warmup,
                passes));

        md.append("| contender | what runs | median sentences/s | min | max | vs LangChain4j "
                + "| sentences per CPU-second | cosine vs raw-invariant: least, mean, share >= 0.99 |\n");
        md.append("|---|---|---:|---:|---:|---:|---:|---|\n");
        for (String key : results.keySet()) {
            PassStats stats = results.get(key);
            Similarity.Agreement a = agreement.get(key);
            md.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %.1f | %.1f | %.1f | %s | %.1f | %.6f, %.6f, %.1f%% |%n",
                    key,
                    contenders.get(key).description(),
                    stats.median(),
                    stats.min(),
                    stats.max(),
                    ratioText(key, EmbeddingBench.LANGCHAIN4J),
                    stats.cpuMedian(),
                    a.least(),
                    a.mean(),
                    100 * a.shareAbove99()));
        }

        List<String> goalRows = new ArrayList<>();
        for (Goal goal : goals(results.keySet())) {
            if (results.containsKey(goal.numerator()) && results.containsKey(goal.denominator())) {
                goalRows.add(String.format(
                        Locale.ROOT,
                        "| %s / %s | %.2fx | %.2fx | %.2fx | >= %.2fx | %s |",
                        goal.numerator(),
                        goal.denominator(),
                        ratio(goal.numerator(), goal.denominator()),
                        paired(goal.numerator(), goal.denominator()),
                        cpuRatio(goal.numerator(), goal.denominator()),
                        goal.required(),
                        met(goal) ? "met" : "**missed**"));
            }
        }
        if (!goalRows.isEmpty()) {
            md.append(
                    "\n| goal | ratio of medians | median of paired ratios | ratio per CPU-second | required | verdict |\n");
            md.append("|---|---:|---:|---:|---:|---|\n");
            goalRows.forEach(row -> md.append(row).append('\n'));
        }
        md.append("\nPer-pass sentences/s, in pass order:\n\n");
        results.forEach((key, stats) ->
                md.append("- ").append(key).append(": ").append(samples(stats)).append('\n'));
        return md.toString();
    }

    /** A goal is met when the ratio of the medians reaches it. */
    private boolean met(Goal goal) {
        return ratio(goal.numerator(), goal.denominator()) >= goal.required();
    }

    private double ratio(String numerator, String denominator) {
        return results.get(numerator).median() / results.get(denominator).median();
    }

    private double cpuRatio(String numerator, String denominator) {
        return results.get(numerator).cpuMedian() / results.get(denominator).cpuMedian();
    }

    private double paired(String numerator, String denominator) {
        return results.get(numerator).medianPairedRatio(results.get(denominator));
    }

    private String ratioText(String numerator, String denominator) {
        if (!results.containsKey(denominator)) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.2fx", ratio(numerator, denominator));
    }

    private static String capitalised(String text) {
        return Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }

    private static String samples(PassStats stats) {
        List<String> values = new ArrayList<>();
        stats.samples().forEach(value -> values.add(String.format(Locale.ROOT, "%.1f", value)));
        return String.join(", ", values);
    }
}

package io.modelpool.bench;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * The memory-stability run: {@code --rss-sentences} distinct sentences through the pool, a window at a time
 * (submit the window, await it), reading VmRSS after each window. The heap is fixed and pre-touched by the
 * launcher, so resident growth after warm-up can only come from native memory (sessions, arenas, tokenizer)
 * or from a heap that keeps what it should drop; the verdict is on the growth after warm-up.
 */
final class RssRun implements Callable<Integer> {

    /** The report section of a mode's run: {@code embedding-rss-throughput} or {@code embedding-rss-invariant}. */
    static String section(PoolContender.Mode mode) {
        return "embedding-rss-" + mode.name().toLowerCase(Locale.ROOT);
    }
    /** The most resident growth after warm-up that still counts as steady. */
    static final long STEADY_GROWTH_KIB = 16 * 1024;

    private record Sample(int sentences, long rssKib, long heapUsedKib) {}

    private final EmbeddingBench options;

    RssRun(EmbeddingBench options) {
        this.options = options;
    }

    @Override
    public Integer call() throws Exception {
        if (!RssProbe.available()) {
            throw new IllegalStateException("--rss needs /proc/self/status (Linux)");
        }
        PoolContender.Mode mode = PoolContender.Mode.parse(options.rssMode);
        String loadBefore = MachineInfo.currentLoadAverage();
        List<String> corpus = Corpus.generate(options.rssSentences, options.seed);
        List<Sample> samples = new ArrayList<>();
        MachineInfo machine;
        long start;
        try (Contender pool = PoolContender.create(mode, null)) {
            machine = MachineInfo.current(loadBefore);
            EmbeddingBench.print(
                    "machine: %d cores, %s, %s, %s, ONNX Runtime %s, load average %s",
                    machine.cores(),
                    machine.cpuModel(),
                    machine.jvm(),
                    machine.heap(),
                    machine.onnxRuntime(),
                    machine.loadAverage());
            start = System.nanoTime();
            EmbeddingBench.print(
                    "rss run: %d sentences through %s (%s), windows of %d, warm-up %d",
                    corpus.size(), pool.key(), pool.description(), options.rssWindow, options.rssWarmup);
            samples.add(sample(0));
            for (int from = 0; from < corpus.size(); from += options.rssWindow) {
                int to = Math.min(corpus.size(), from + options.rssWindow);
                float[][] embeddings = pool.embed(corpus.subList(from, to));
                if (embeddings.length != to - from) {
                    throw new IllegalStateException(
                            "the pool returned " + embeddings.length + " embeddings for " + (to - from));
                }
                Sample sample = sample(to);
                samples.add(sample);
                EmbeddingBench.print(
                        "%7d sentences  rss %7.1f MiB  heap used %7.1f MiB",
                        sample.sentences(), sample.rssKib() / 1024.0, sample.heapUsedKib() / 1024.0);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        String markdown = markdown(machine, mode, corpus.size(), seconds, samples);
        System.out.println();
        System.out.println(markdown);
        if (!options.noReport) {
            ReportFile.replaceSection(options.report, section(mode), markdown);
            EmbeddingBench.print("refreshed the '%s' section of %s", section(mode), options.report);
        }
        return 0;
    }

    private static Sample sample(int sentences) {
        Runtime runtime = Runtime.getRuntime();
        return new Sample(sentences, RssProbe.residentKib(), (runtime.totalMemory() - runtime.freeMemory()) >> 10);
    }

    private String markdown(
            MachineInfo machine, PoolContender.Mode mode, int total, double seconds, List<Sample> samples) {
        Sample warm = samples.get(0);
        for (Sample sample : samples) {
            if (sample.sentences() <= options.rssWarmup) {
                warm = sample;
            }
        }
        Sample end = samples.get(samples.size() - 1);
        long maxAfter = warm.rssKib();
        for (Sample sample : samples) {
            if (sample.sentences() > warm.sentences()) {
                maxAfter = Math.max(maxAfter, sample.rssKib());
            }
        }
        long growth = maxAfter - warm.rssKib();
        StringBuilder md = new StringBuilder();
        md.append("### Latest RSS run (")
                .append(Instant.now().truncatedTo(ChronoUnit.SECONDS))
                .append(")\n\n");
        md.append("Command, from the repository root:\n\n```\n")
                .append(options.command)
                .append("\n```\n\n");
        md.append(String.format(
                Locale.ROOT,
                "- Machine: %d cores, %s; %s, %s; ONNX Runtime %s; load average %s before.%n",
                machine.cores(),
                machine.cpuModel(),
                machine.jvm(),
                machine.heap(),
                machine.onnxRuntime(),
                machine.loadAverage()));
        md.append(String.format(
                Locale.ROOT,
                "- %d distinct sentences through %s in windows of %d (submit all, await all), "
                        + "%.0f s, %.1f sentences/s; warm-up: the first %d sentences.%n",
                total,
                mode.key(),
                options.rssWindow,
                seconds,
                total / seconds,
                warm.sentences()));
        md.append(String.format(
                Locale.ROOT,
                "- RSS at the end of warm-up: %.1f MiB; at the end: %.1f MiB; " + "highest after warm-up: %.1f MiB.%n",
                warm.rssKib() / 1024.0,
                end.rssKib() / 1024.0,
                maxAfter / 1024.0));
        md.append(String.format(
                Locale.ROOT,
                "- Growth after warm-up: %+.1f MiB (steady means at most %d MiB): **%s**.%n%n",
                growth / 1024.0,
                STEADY_GROWTH_KIB / 1024,
                growth <= STEADY_GROWTH_KIB ? "steady" : "growing"));
        md.append("| sentences | RSS MiB | heap used MiB |\n|---:|---:|---:|\n");
        for (Sample sample : samples) {
            md.append(String.format(
                    Locale.ROOT,
                    "| %d | %.1f | %.1f |%n",
                    sample.sentences(),
                    sample.rssKib() / 1024.0,
                    sample.heapUsedKib() / 1024.0));
        }
        return md.toString();
    }
}

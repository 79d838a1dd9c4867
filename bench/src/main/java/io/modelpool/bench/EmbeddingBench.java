package io.modelpool.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import io.modelpool.worker.runtime.PerTokenQuantization;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The text-embedding throughput benchmark (issue 3): LangChain4j's {@code embedAll} (a), the best raw ONNX
 * Runtime loops (b) and the worker's model pool in both modes (c), on one deterministic corpus, in one JVM.
 *
 * <p>Method: every contender is built first (sessions loaded), then runs {@code --warmup} unmeasured passes,
 * then {@code --passes} measured passes. Each measured pass runs every contender once over the whole corpus,
 * starting from a different contender each pass, so that load from the rest of the machine falls on all of
 * them alike and ratios of contenders measured side by side stay fair on a noisy machine. The report gives
 * the median and range of sentences per second per contender and the ratios the goals name.
 * Before measuring, every contender's embeddings are compared with the raw one-sequence loop's (cosine),
 * so a contender cannot win by computing something else.
 *
 * <p>{@code --rss} instead pushes {@code --rss-sentences} distinct sentences through the pool and samples
 * the process's resident set size, to show it stays flat after warm-up.
 */
@Command(
        name = "embedding-bench",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "Text-embedding throughput: LangChain4j vs raw ONNX Runtime loops vs the modelpool pool.")
public final class EmbeddingBench implements Callable<Integer> {

    static final String LANGCHAIN4J = "langchain4j";
    static final String RAW_INVARIANT = "raw-invariant";
    static final String RAW_SORTED = "raw-sorted";
    static final String RAW_UNSORTED = "raw-unsorted";
    static final String RAW_PER_TOKEN = "raw-per-token";
    static final String RAW_PER_TOKEN_SORTED = "raw-per-token-sorted";
    static final List<String> KEYS = List.of(
            LANGCHAIN4J,
            RAW_INVARIANT,
            RAW_SORTED,
            RAW_UNSORTED,
            RAW_PER_TOKEN,
            RAW_PER_TOKEN_SORTED,
            PoolContender.Mode.INVARIANT.key(),
            PoolContender.Mode.THROUGHPUT.key(),
            PoolContender.Mode.AS_EXPORTED.key(),
            PoolContender.Mode.PER_TOKEN.key());

    @Option(
            names = "--passes",
            defaultValue = "7",
            description = "Measured passes per contender (default: ${DEFAULT-VALUE}).")
    int passes;

    @Option(
            names = "--warmup",
            defaultValue = "2",
            description = "Unmeasured passes per contender first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--sentences", defaultValue = "4096", description = "Corpus size (default: ${DEFAULT-VALUE}).")
    int sentences;

    @Option(
            names = "--corpus",
            paramLabel = "FILE",
            description =
                    "Measure this file instead of the generated corpus: one text per line, or JSON lines with a \"text\" field "
                            + "(RealCorpus builds short.txt and chunk.txt from Python's docstrings); --sentences caps how many are read.")
    Path corpusFile;

    @Option(
            names = "--max-tokens",
            defaultValue = "" + MiniLm.MAX_TOKENS,
            description =
                    "Where the raw loops and the pool cut a text, special tokens included (default: ${DEFAULT-VALUE}, "
                            + "the shipped manifest's; LangChain4j's embedder always cuts at 128).")
    int maxTokens;

    @Option(
            names = "--seed",
            defaultValue = "" + Corpus.DEFAULT_SEED,
            description = "Corpus seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--workers",
            defaultValue = "2",
            description = "Threads (one session each) of the raw loops (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(
            names = "--batch",
            defaultValue = "8",
            description = "Batch size of the raw batched loops (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(
            names = "--opt-level",
            defaultValue = "ALL_OPT",
            description =
                    "ORT graph optimisation of the raw loops: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    OptLevel optLevel;

    @Option(
            names = "--pool-sort-windows",
            split = ",",
            paramLabel = "N",
            description =
                    "Also run the throughput pool with these batch.sort-window values (keys pool-throughput-swN), "
                            + "next to the shipped manifest's.")
    List<Integer> poolSortWindows = List.of();

    @Option(
            names = "--only",
            split = ",",
            paramLabel = "KEY",
            description =
                    "Run only these contenders (keys: langchain4j, raw-invariant, raw-sorted, raw-unsorted, raw-per-token, "
                            + "raw-per-token-sorted, pool-invariant, pool-throughput, pool-as-exported, pool-per-token).")
    List<String> only;

    @Option(
            names = "--user-path",
            description = "Also run the user's path (issue 25): a worker process "
                    + "(local/target/modelpool-local.jar serving) and `modelpool embed` (producer-cli/target/modelpool-cli.jar) as its own "
                    + "process per pass; build both jars first.")
    boolean userPath;

    @Option(
            names = "--worker-heap",
            paramLabel = "SIZE",
            description = "The user-path worker's -Xmx (default: the JVM's).")
    String workerHeap;

    @Option(names = "--cli-heap", paramLabel = "SIZE", description = "The user-path CLI's -Xmx (default: the JVM's).")
    String cliHeap;

    @Option(
            names = "--jfr",
            paramLabel = "DIR",
            description = "User path: after the warm-up, record JFR profiles "
                    + "(settings=profile) of the worker process and of every CLI run into DIR.")
    Path jfr;

    @Option(
            names = "--also-cut",
            split = ",",
            paramLabel = "TOKENS",
            description = "Also run the shipped pool entry "
                    + "cutting texts at these token counts (keys pool-invariant-cutN), e.g. 128, LangChain4j's cut.")
    List<Integer> alsoCut = List.of();

    @Option(
            names = "--repeat",
            defaultValue = "1",
            description = "Repeat the corpus this many times (a small corpus "
                    + "file long enough to time a process; default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(
            names = "--report",
            defaultValue = "docs/benchmarks.md",
            description = "Markdown file whose generated section is refreshed (default: ${DEFAULT-VALUE}).")
    Path report;

    @Option(names = "--no-report", description = "Print results only; leave the report file alone.")
    boolean noReport;

    @Option(
            names = "--rss",
            description = "Run the RSS-stability run through the pool instead of the throughput comparison.")
    boolean rss;

    @Option(
            names = "--rss-sentences",
            defaultValue = "100000",
            description = "Sentences of the RSS run (default: ${DEFAULT-VALUE}).")
    int rssSentences;

    @Option(
            names = "--rss-window",
            defaultValue = "4096",
            description = "RSS run: sentences submitted, awaited and sampled together (default: ${DEFAULT-VALUE}).")
    int rssWindow;

    @Option(
            names = "--rss-warmup",
            defaultValue = "20000",
            description = "RSS run: sentences counted as warm-up (default: ${DEFAULT-VALUE}).")
    int rssWarmup;

    @Option(
            names = "--rss-mode",
            defaultValue = "throughput",
            description =
                    "RSS run: pool mode, invariant, throughput, as-exported or per-token (default: ${DEFAULT-VALUE}).")
    String rssMode;

    /** The command, from the repository root, that reproduces this run; written into the report. */
    String command = reproduction(new String[0]);

    public static void main(String[] args) {
        EmbeddingBench bench = new EmbeddingBench();
        bench.command = reproduction(args);
        System.exit(
                new CommandLine(bench).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    /** The Maven command (profile run-bench in bench/pom.xml) that starts this class with these arguments. */
    static String reproduction(String[] args) {
        String heap = System.getProperty("bench.heap", "1g");
        heap = heap.equals("1g") ? "" : " -Dbench.heap=" + heap;
        return "./mvnw -q -B -ntp -pl bench -am package -DskipTests -Prun-bench" + heap + " -Dbench.args=\""
                + String.join(" ", args) + "\"";
    }

    @Override
    public Integer call() throws Exception {
        if (passes < 1
                || warmup < 0
                || sentences < batch
                || workers < 1
                || batch < 1
                || repeat < 1
                || alsoCut.stream().anyMatch(c -> c < 3)
                || poolSortWindows.stream().anyMatch(w -> w < batch)) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this),
                    "need --passes >= 1, --warmup >= 0, "
                            + "--workers >= 1, 1 <= --batch <= --sentences, every --pool-sort-windows value >= --batch, --repeat >= 1, "
                            + "every --also-cut value >= 3");
        }
        if (only != null && !KEYS.containsAll(only)) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this),
                    "--only " + String.join(",", only) + " names an unknown contender; known: "
                            + String.join(",", KEYS));
        }
        return rss ? new RssRun(this).call() : throughput();
    }

    private int throughput() throws Exception {
        String loadBefore = MachineInfo.currentLoadAverage();
        List<String> corpus =
                corpusFile == null ? Corpus.generate(sentences, seed) : CorpusFile.read(corpusFile, sentences);
        if (repeat > 1) {
            List<String> repeated = new ArrayList<>(corpus.size() * repeat);
            for (int i = 0; i < repeat; i++) {
                repeated.addAll(corpus);
            }
            corpus = List.copyOf(repeated);
        }
        HuggingFaceTokenizer tokenizer = MiniLm.tokenizer(maxTokens);
        Set<Integer> windows = new TreeSet<>(poolSortWindows);
        windows.add(PoolContender.shippedSortWindow());
        CorpusStats corpusStats = CorpusStats.of(corpus, tokenizer, batch, windows);
        Map<String, Contender> contenders = createContenders(tokenizer);
        MachineInfo machine = MachineInfo.current(loadBefore);
        print(
                "machine: %d cores, %s, %s, %s, ONNX Runtime %s, load average %s",
                machine.cores(),
                machine.cpuModel(),
                machine.jvm(),
                machine.heap(),
                machine.onnxRuntime(),
                machine.loadAverage());
        print(
                "corpus: %d sentences, seed %d, %d-%d words (median %d), %d-%d tokens (median %d, %d in all)",
                corpusStats.sentences(),
                seed,
                corpusStats.minWords(),
                corpusStats.maxWords(),
                corpusStats.medianWords(),
                corpusStats.minTokens(),
                corpusStats.maxTokens(),
                corpusStats.medianTokens(),
                corpusStats.totalTokens());
        print("%s", corpusStats.paddingSummary());
        print(
                "corpus source: %s; %d of %d texts reach the %d-token cut (truncated); token percentiles %s",
                corpusFile == null ? "generated" : corpusFile,
                CorpusFile.truncated(corpus, tokenizer, maxTokens),
                corpus.size(),
                maxTokens,
                CorpusFile.percentiles(corpus, tokenizer));
        for (int cut : alsoCut) {
            print(
                    "at the %d-token cut: %d of %d texts truncated",
                    cut, CorpusFile.truncated(corpus, tokenizer, cut), corpus.size());
        }

        try {
            for (Contender contender : contenders.values()) {
                print("contender %-22s %s", contender.key(), contender.description());
            }
            Map<String, Similarity.Agreement> agreement = warmUp(contenders, corpus);
            UserPathContender user = contenders.get(UserPathContender.KEY) instanceof UserPathContender u ? u : null;
            if (user != null) {
                print("user-path CPU over the warm-up run: %s", user.cpuSplit());
                user.resetCpuSplit();
                if (jfr != null) {
                    user.startProfiling(jfr);
                    print("recording JFR profiles of the user path into %s", jfr);
                }
            }
            Map<String, PassStats> results = measure(contenders, corpus);
            String loadAfter = MachineInfo.currentLoadAverage();
            if (user != null) {
                print("user-path CPU over the measured passes: %s", user.cpuSplit());
            }

            ThroughputReport throughput = new ThroughputReport(
                    machine, loadAfter, corpusStats, contenders, results, agreement, passes, warmup, command);
            System.out.println();
            System.out.println(throughput.table());
            System.out.println(throughput.goals());
            if (!noReport) {
                ReportFile.replaceSection(report, ThroughputReport.SECTION, throughput.markdown());
                print("refreshed the '%s' section of %s", ThroughputReport.SECTION, report);
            }
        } finally {
            for (Contender contender : contenders.values()) {
                contender.close();
            }
            tokenizer.close();
        }
        return 0;
    }

    private Map<String, Contender> createContenders(HuggingFaceTokenizer tokenizer) throws Exception {
        Set<String> wanted = only == null ? null : Set.copyOf(only);
        // The pools start first: the worker's runtime names the shared ONNX Runtime environment, which
        // only the first caller of OrtEnvironment.getEnvironment may do.
        Map<String, Contender> pools = new LinkedHashMap<>();
        if (userPath) {
            pools.put(UserPathContender.KEY, UserPathContender.start(workerHeap, cliHeap));
        }
        for (PoolContender.Mode mode : PoolContender.Mode.values()) {
            if (wants(wanted, mode.key())) {
                pools.put(
                        mode.key(),
                        PoolContender.create(mode, null, maxTokens == MiniLm.MAX_TOKENS ? null : maxTokens));
            }
        }
        for (int cut : alsoCut) {
            String key = PoolContender.Mode.INVARIANT.key() + "-cut" + cut;
            pools.put(key, PoolContender.create(PoolContender.Mode.INVARIANT, null, cut, key));
        }
        for (int window : poolSortWindows) {
            PoolContender tuned = PoolContender.create(PoolContender.Mode.THROUGHPUT, window);
            pools.put(tuned.key(), tuned);
        }
        byte[] model = MiniLm.modelBytes();
        Map<String, Contender> contenders = new LinkedHashMap<>();
        if (wants(wanted, LANGCHAIN4J)) {
            contenders.put(LANGCHAIN4J, new LangChain4jBaseline());
        }
        // The one-sequence loop is the reference the others are compared with, so it always runs.
        contenders.put(
                RAW_INVARIANT,
                new RawOrtLoop(
                        RAW_INVARIANT, RawOrtLoop.Layout.ONE_SEQUENCE_PER_RUN, workers, 1, optLevel, model, tokenizer));
        if (wants(wanted, RAW_SORTED)) {
            contenders.put(
                    RAW_SORTED,
                    new RawOrtLoop(
                            RAW_SORTED, RawOrtLoop.Layout.SORTED_BATCHES, workers, batch, optLevel, model, tokenizer));
        }
        if (wants(wanted, RAW_UNSORTED)) {
            contenders.put(
                    RAW_UNSORTED,
                    new RawOrtLoop(
                            RAW_UNSORTED,
                            RawOrtLoop.Layout.UNSORTED_BATCHES,
                            workers,
                            batch,
                            optLevel,
                            model,
                            tokenizer));
        }
        if (wants(wanted, RAW_PER_TOKEN) || wants(wanted, RAW_PER_TOKEN_SORTED)) {
            byte[] perToken = PerTokenQuantization.rewrite(model).model();
            if (wants(wanted, RAW_PER_TOKEN)) {
                contenders.put(
                        RAW_PER_TOKEN,
                        new RawOrtLoop(
                                RAW_PER_TOKEN,
                                RawOrtLoop.Layout.ONE_SEQUENCE_PER_RUN,
                                workers,
                                1,
                                optLevel,
                                perToken,
                                tokenizer));
            }
            if (wants(wanted, RAW_PER_TOKEN_SORTED)) {
                contenders.put(
                        RAW_PER_TOKEN_SORTED,
                        new RawOrtLoop(
                                RAW_PER_TOKEN_SORTED,
                                RawOrtLoop.Layout.SORTED_BATCHES,
                                workers,
                                batch,
                                optLevel,
                                perToken,
                                tokenizer));
            }
        }
        contenders.putAll(pools);
        return contenders;
    }

    private static boolean wants(Set<String> wanted, String key) {
        return wanted == null || wanted.contains(key);
    }

    /** Runs the warm-up passes and returns how closely each contender's embeddings match the raw one-sequence loop's. */
    private Map<String, Similarity.Agreement> warmUp(Map<String, Contender> contenders, List<String> corpus)
            throws Exception {
        Map<String, float[][]> last = new LinkedHashMap<>();
        for (int pass = 0; pass < Math.max(1, warmup); pass++) {
            for (Contender contender : contenders.values()) {
                long start = System.nanoTime();
                last.put(contender.key(), contender.embed(corpus));
                long own = contender.lastWallNanos();
                double rate = own >= 0 ? corpus.size() / (own / 1e9) : rate(corpus.size(), start);
                print("warm-up %d  %-22s %8.1f sentences/s", pass + 1, contender.key(), rate);
            }
        }
        float[][] reference = last.get(RAW_INVARIANT);
        Map<String, Similarity.Agreement> agreement = new LinkedHashMap<>();
        last.forEach((key, embeddings) -> {
            Similarity.Agreement a = Similarity.compare(reference, embeddings);
            agreement.put(key, a);
            print("cosine similarity of %-22s to %s: %s", key, RAW_INVARIANT, a);
        });
        return agreement;
    }

    private Map<String, PassStats> measure(Map<String, Contender> contenders, List<String> corpus) throws Exception {
        List<Contender> order = new ArrayList<>(contenders.values());
        Map<String, PassStats> results = new LinkedHashMap<>();
        contenders.keySet().forEach(key -> results.put(key, new PassStats()));
        for (int pass = 0; pass < passes; pass++) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "pass %d/%d", pass + 1, passes));
            for (int i = 0; i < order.size(); i++) {
                Contender contender = order.get((pass + i) % order.size());
                System.gc();
                long cpuStart = ProcessCpu.nanos();
                long start = System.nanoTime();
                float[][] embeddings = contender.embed(corpus);
                double rate = rate(corpus.size(), start);
                double cpuRate = corpus.size() / ((ProcessCpu.nanos() - cpuStart) / 1e9);
                if (contender.lastWallNanos() >= 0) {
                    rate = corpus.size() / (contender.lastWallNanos() / 1e9);
                    cpuRate = corpus.size() / (contender.lastCpuNanos() / 1e9);
                }
                if (embeddings.length != corpus.size()) {
                    throw new IllegalStateException(contender.key() + " returned " + embeddings.length
                            + " embeddings for " + corpus.size() + " sentences");
                }
                results.get(contender.key()).add(rate, cpuRate);
                line.append(String.format(Locale.ROOT, "  %s %.1f (%.1f per CPU-s)", contender.key(), rate, cpuRate));
            }
            System.out.println(line);
        }
        return results;
    }

    private static double rate(int count, long startNanos) {
        return count / ((System.nanoTime() - startNanos) / 1e9);
    }

    static void print(String format, Object... args) {
        System.out.println(String.format(Locale.ROOT, format, args));
    }
}

package io.modelpool.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelpool.v1.Capability;
import io.modelpool.v1.GenerationParameters;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextToTextRequest;
import io.modelpool.v1.TextToTextResult;
import io.modelpool.worker.capability.CapabilityRegistry;
import io.modelpool.worker.capability.CapabilityService;
import io.modelpool.worker.capability.Outcome;
import io.modelpool.worker.capability.PoolGroup;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.manifest.ManifestLoader;
import io.modelpool.worker.pool.ModelState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Text generation throughput (issue 10): the causal-lm family one generation at a time
 * ({@code batch-invariant: true}, the default) against batched prefill and shared decode steps
 * ({@code batch-invariant: false}), both through the worker's model pool, on one model file and one
 * deterministic set of requests, in one JVM.
 *
 * <p>The model is a random-weight transformer written by {@code tools/toy_causal_lm.py --transformer} (run
 * here when {@code --model-dir} lacks it), or with {@code --tiny} the padded toy LM of the worker's tests,
 * whose compute per token is next to nothing, so that it measures the per-step overhead alone.
 *
 * <p>Method: both contenders are loaded, run {@code --warmup} unmeasured passes, then {@code --passes}
 * measured passes, alternating which goes first. A pass submits every request at once and waits for every
 * result; tokens per second is the generated tokens (EOS not counted) over the pass's wall time, and request
 * latency is each result's end-to-end time (submission to result; medians over passes). Requests
 * are greedy, with prompt lengths and maxNewTokens drawn from {@code --seed}, so the work is the same in both
 * modes; the report says how many texts came out identical in the two modes.
 */
@Command(
        name = "generation-bench",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "Text generation: one generation at a time vs batched prefill and decode, through the pool.")
public final class GenerationBench implements Callable<Integer> {

    static final String SEQUENTIAL = "sequential";
    static final String BATCHED = "batched";
    private static final RequestContext CONTEXT = new RequestContext("generation-bench", 0);

    @Option(
            names = "--model-dir",
            defaultValue = "bench/target/toy-transformer",
            description =
                    "Directory with model.onnx and tokenizer.json; written by tools/toy_causal_lm.py when missing (default: ${DEFAULT-VALUE}).")
    Path modelDir;

    @Option(names = "--tiny", description = "Use the padded toy LM of the worker's tests instead of the transformer.")
    boolean tiny;

    @Option(
            names = "--exported",
            description =
                    "Use a decoder exported by PyTorch instead: DIR/decoder_with_past_model.onnx and DIR/tokenizer.json, as tools/pytorch_exports.py writes them (worker/src/test/resources/exported/llama); prompts draw from its vocabulary.")
    Path exported;

    @Option(
            names = "--generator-args",
            defaultValue = "",
            description =
                    "Extra arguments for tools/toy_causal_lm.py --transformer when the model is generated, for example '--d-model 512 --layers 8'.")
    String generatorArgs;

    @Option(names = "--requests", defaultValue = "32", description = "Requests per pass (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(
            names = "--batch",
            defaultValue = "8",
            description = "batch.max-items of the batched model (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(
            names = "--prompt-tokens",
            defaultValue = "8,64",
            split = ",",
            description = "Least and most prompt tokens (default: ${DEFAULT-VALUE}).")
    List<Integer> promptTokens;

    @Option(
            names = "--new-tokens",
            defaultValue = "16,64",
            split = ",",
            description = "Least and most maxNewTokens (default: ${DEFAULT-VALUE}).")
    List<Integer> newTokens;

    @Option(
            names = "--workers",
            defaultValue = "1",
            description = "Workers (sessions) per model (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(
            names = "--threads",
            defaultValue = "1",
            description = "intra-op threads per session (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(
            names = "--passes",
            defaultValue = "3",
            description = "Measured passes per contender (default: ${DEFAULT-VALUE}).")
    int passes;

    @Option(
            names = "--warmup",
            defaultValue = "1",
            description = "Unmeasured passes per contender first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the request set (default: ${DEFAULT-VALUE}).")
    long seed;

    public static void main(String[] args) {
        System.exit(new CommandLine(new GenerationBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (passes < 1
                || warmup < 0
                || requests < 1
                || batch < 1
                || promptTokens.size() != 2
                || newTokens.size() != 2
                || promptTokens.get(0) < 1
                || newTokens.get(0) < 1
                || promptTokens.get(0) > promptTokens.get(1)
                || newTokens.get(0) > newTokens.get(1)) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this),
                    "need --passes >= 1, --warmup >= 0, "
                            + "--requests >= 1, --batch >= 1 and --prompt-tokens/--new-tokens as LEAST,MOST with 1 <= LEAST <= MOST");
        }
        Path model;
        Path tokenizer;
        List<String> words;
        if (tiny) {
            Path fixtures = Path.of("worker/src/test/resources/texttotext");
            model = fixtures.resolve("toy-lm-padded.onnx");
            tokenizer = fixtures.resolve("toy-lm-tokenizer.json");
            words = List.of("the", "cat", "sat", "on", "mat", "and", "dog", "ran", "away", "far");
        } else if (exported != null) {
            model = exported.resolve("decoder_with_past_model.onnx");
            tokenizer = exported.resolve("tokenizer.json");
            words = vocabularyWords(tokenizer);
        } else {
            model = modelDir.resolve("model.onnx");
            tokenizer = modelDir.resolve("tokenizer.json");
            if (!Files.exists(model) || !Files.exists(tokenizer)) {
                generate();
            }
            words = transformerWords(tokenizer);
        }
        List<TextToTextRequest> set = requestSet(words);
        String loadBefore = MachineInfo.currentLoadAverage();
        Path manifest = Files.createTempFile("generation-bench", ".yaml");
        Files.writeString(manifest, manifest(model, tokenizer));
        PoolGroup registry = CapabilityRegistry.fromManifest(ManifestLoader.load("file:" + manifest));
        try {
            Map<String, ModelState> states = registry.awaitLoaded(Duration.ofMinutes(2));
            if (states.values().stream().anyMatch(s -> s != ModelState.READY)) {
                throw new IllegalStateException("models did not load: " + states);
            }
            CapabilityService service = registry.service(Capability.TEXT_TO_TEXT);
            for (int w = 0; w < warmup; w++) {
                pass(service, SEQUENTIAL, set);
                pass(service, BATCHED, set);
            }
            Map<String, double[]> tokensPerSecond = new LinkedHashMap<>();
            tokensPerSecond.put(SEQUENTIAL, new double[passes]);
            tokensPerSecond.put(BATCHED, new double[passes]);
            double[] ratios = new double[passes];
            Map<String, double[]> p50 = new LinkedHashMap<>();
            Map<String, double[]> p95 = new LinkedHashMap<>();
            for (String key : tokensPerSecond.keySet()) {
                p50.put(key, new double[passes]);
                p95.put(key, new double[passes]);
            }
            Map<String, Pass> first = new LinkedHashMap<>();
            for (int p = 0; p < passes; p++) {
                List<String> order = p % 2 == 0 ? List.of(SEQUENTIAL, BATCHED) : List.of(BATCHED, SEQUENTIAL);
                for (String key : order) {
                    Pass result = pass(service, key, set);
                    tokensPerSecond.get(key)[p] = result.tokensPerSecond();
                    p50.get(key)[p] = Stats.percentile(result.latenciesMs(), 50);
                    p95.get(key)[p] = Stats.percentile(result.latenciesMs(), 95);
                    first.putIfAbsent(key, result);
                    System.err.printf(
                            Locale.ROOT,
                            "pass %d %-10s %8.1f tokens/s (%d tokens, %.2f s), request "
                                    + "latency p50 %.0f ms, p95 %.0f ms%n",
                            p + 1,
                            key,
                            result.tokensPerSecond(),
                            result.tokens(),
                            result.seconds(),
                            Stats.percentile(result.latenciesMs(), 50),
                            Stats.percentile(result.latenciesMs(), 95));
                }
                ratios[p] = tokensPerSecond.get(BATCHED)[p] / tokensPerSecond.get(SEQUENTIAL)[p];
            }
            MachineInfo machine = MachineInfo.current(loadBefore);
            System.out.println(report(machine, tokensPerSecond, p50, p95, ratios, first, set));
        } finally {
            registry.close();
            Files.deleteIfExists(manifest);
        }
        return 0;
    }

    private void generate() throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(
                List.of("/usr/bin/python3", "tools/toy_causal_lm.py", "--transformer", modelDir.toString()));
        if (!generatorArgs.isBlank()) {
            command.addAll(List.of(generatorArgs.trim().split("\\s+")));
        }
        System.err.println("Writing the benchmark model: " + String.join(" ", command));
        Process process = new ProcessBuilder(command).inheritIO().start();
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException("tools/toy_causal_lm.py did not finish within 5 minutes");
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException("tools/toy_causal_lm.py failed with exit code " + process.exitValue()
                    + " (it needs /usr/bin/python3 with onnx and numpy: apt-get install -y python3-onnx)");
        }
    }

    /** The transformer tokenizer's words: w2 ... w(vocab-1), read from its vocabulary size. */
    private static List<String> transformerWords(Path tokenizer) throws IOException {
        String json = Files.readString(tokenizer, StandardCharsets.UTF_8);
        List<String> words = new ArrayList<>();
        for (int i = 2; json.contains("\"w" + i + "\""); i++) {
            words.add("w" + i);
        }
        if (words.isEmpty()) {
            throw new IllegalStateException(tokenizer + " is not a tokenizer written by tools/toy_causal_lm.py");
        }
        return words;
    }

    /** The words of a word-level tokenizer.json, its special tokens (in angle brackets) left out. */
    private static List<String> vocabularyWords(Path tokenizer) throws IOException {
        JsonNode vocab =
                new ObjectMapper().readTree(tokenizer.toFile()).path("model").path("vocab");
        List<String> words = new ArrayList<>();
        vocab.fieldNames().forEachRemaining(w -> {
            if (!w.startsWith("<")) {
                words.add(w);
            }
        });
        if (words.isEmpty()) {
            throw new IllegalStateException(tokenizer + " has no word-level vocabulary");
        }
        return words;
    }

    private List<TextToTextRequest> requestSet(List<String> words) {
        SplittableRandom random = new SplittableRandom(seed);
        List<TextToTextRequest> set = new ArrayList<>(requests);
        for (int i = 0; i < requests; i++) {
            int length = random.nextInt(promptTokens.get(0), promptTokens.get(1) + 1);
            StringBuilder prompt = new StringBuilder();
            for (int t = 0; t < length; t++) {
                prompt.append(t == 0 ? "" : " ").append(words.get(random.nextInt(words.size())));
            }
            int maxNew = random.nextInt(newTokens.get(0), newTokens.get(1) + 1);
            set.add(TextToTextRequest.newBuilder()
                    .setId("r" + i)
                    .setModel(SEQUENTIAL)
                    .setPrompt(prompt.toString())
                    .setParameters(GenerationParameters.newBuilder()
                            .setMaxNewTokens(maxNew)
                            .build())
                    .build());
        }
        return set;
    }

    private String manifest(Path model, Path tokenizer) {
        String common = """
                    capability: text-to-text
                    family: causal-lm
                    source: file:%s
                    tokenizer: file:%s
                    parameters:
                      eos-token: "<eos>"
                      max-new-tokens: 100000
                      max-prompt-tokens: 100000
                      shutdown-grace: 3s
                    workers: %d
                    session:
                      intra-op-threads: %d
                      inter-op-threads: 1
                """.formatted(model.toAbsolutePath(), tokenizer.toAbsolutePath(), workers, threads);
        return "limits:\n  max-inputs-per-request: 1\n  max-input-bytes: 1048576\nmodels:\n"
                + "  - key: " + SEQUENTIAL + "\n" + common
                + "    batch:\n      queue-capacity: " + Math.max(1, requests) + "\n"
                + "  - key: " + BATCHED + "\n" + common
                + "    batch-invariant: false\n"
                + "    batch:\n      max-items: " + batch + "\n      max-tokens: 100000000\n"
                + "      max-delay: 20ms\n      queue-capacity: " + Math.max(1, requests) + "\n";
    }

    private record Pass(long tokens, double seconds, List<String> texts, long[] latenciesMs) {
        double tokensPerSecond() {
            return tokens / seconds;
        }
    }

    private static Pass pass(CapabilityService service, String model, List<TextToTextRequest> set) throws Exception {
        List<CompletableFuture<Outcome>> futures = new ArrayList<>(set.size());
        long start = System.nanoTime();
        for (TextToTextRequest r : set) {
            TextToTextRequest request = TextToTextRequest.newBuilder()
                    .setId(UUID.randomUUID().toString())
                    .setModel(model)
                    .setPrompt(r.getPrompt())
                    .setParameters(r.getParameters())
                    .build();
            futures.add(service.handle(request, CONTEXT));
        }
        long tokens = 0;
        List<String> texts = new ArrayList<>(set.size());
        long[] latencies = new long[set.size()];
        for (int i = 0; i < futures.size(); i++) {
            CompletableFuture<Outcome> f = futures.get(i);
            TextToTextResult result =
                    (TextToTextResult) f.get(10, TimeUnit.MINUTES).record();
            if (result.getStatus() != ResultStatus.OK) {
                throw new IllegalStateException(model + " failed a request: " + result.getError());
            }
            tokens += result.getPayload().getGeneratedTokens();
            texts.add(result.getPayload().getText());
            // From submission to the answer: the intake stamps endToEndMs at publish, and nothing publishes here.
            latencies[i] =
                    result.getTimings().getQueuedMs() + result.getTimings().getInferenceMs();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Pass(tokens, seconds, texts, latencies);
    }

    private String report(
            MachineInfo machine,
            Map<String, double[]> tokensPerSecond,
            Map<String, double[]> p50,
            Map<String, double[]> p95,
            double[] ratios,
            Map<String, Pass> first,
            List<TextToTextRequest> set) {
        int identical = 0;
        List<String> a = first.get(SEQUENTIAL).texts();
        List<String> b = first.get(BATCHED).texts();
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i).equals(b.get(i))) {
                identical++;
            }
        }
        StringBuilder out = new StringBuilder();
        out.append(String.format(
                Locale.ROOT,
                "Model: %s; %d requests, prompts %d-%d tokens, maxNewTokens %d-%d, "
                        + "greedy; workers %d, intra-op threads %d, batch.max-items %d; %d passes after %d warm-up.%n",
                tiny ? "padded toy LM (tests)" : exported != null ? exported : modelDir,
                set.size(),
                promptTokens.get(0),
                promptTokens.get(1),
                newTokens.get(0),
                newTokens.get(1),
                workers,
                threads,
                batch,
                passes,
                warmup));
        out.append(String.format(
                Locale.ROOT,
                "Machine: %d cores, %s, %s, ONNX Runtime %s, load before %s.%n%n",
                machine.cores(),
                machine.cpuModel(),
                machine.jvm(),
                machine.onnxRuntime(),
                machine.loadAverage()));
        out.append("| mode | tokens/s median | min | max | request latency p50 (ms) | p95 (ms) |\n"
                + "|---|---:|---:|---:|---:|---:|\n");
        for (Map.Entry<String, double[]> e : tokensPerSecond.entrySet()) {
            out.append(String.format(
                    Locale.ROOT,
                    "| %s | %.1f | %.1f | %.1f | %.0f | %.0f |%n",
                    e.getKey(),
                    Stats.median(e.getValue()),
                    Stats.min(e.getValue()),
                    Stats.max(e.getValue()),
                    Stats.median(p50.get(e.getKey())),
                    Stats.median(p95.get(e.getKey()))));
        }
        out.append(String.format(
                Locale.ROOT,
                "%nbatched / sequential, per pass: median %.2f (min %.2f, max %.2f). "
                        + "Texts identical in both modes: %d of %d.%n",
                Stats.median(ratios),
                Stats.min(ratios),
                Stats.max(ratios),
                identical,
                a.size()));
        return out.toString();
    }
}

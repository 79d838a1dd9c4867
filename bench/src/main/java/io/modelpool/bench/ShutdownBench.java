package io.modelpool.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.modelpool.devstack.DevStack;
import io.modelpool.devstack.DevStackOptions;
import io.modelpool.kafka.TopicReadiness;
import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.Capability;
import io.modelpool.v1.EmbeddingInputType;
import io.modelpool.v1.GenerationParameters;
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.v1.TextToTextRequest;
import io.modelpool.worker.WorkerMain;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Graceful shutdown under load: a chain of worker processes works through one job, and each one is stopped with
 * SIGTERM at a random moment while the job is loaded. The next worker of the chain takes over; a final worker
 * finishes the job.
 *
 * <p>The job is one {@linkplain Mix mix} of requests ({@code --mix}): real short sentences, real chunk-sized
 * documents cut at 256 tokens, requests of 64 real sentences each, an even mix of the three (MiniLM), or
 * text-to-text on the toy transformer of {@code tools/toy_causal_lm.py} with 64 new tokens per request. The real
 * text is the corpus {@link RealCorpus} writes ({@code --corpus-dir}).
 *
 * <p>Per SIGTERM it measures the time from the signal to the process being gone ({@link Process#waitFor}), reads
 * the drained and abandoned counts from the worker's own log lines ({@code Graceful shutdown complete (...)}, {@code
 * Drain timed out ...}), and checks on the broker, before the next worker starts, that no committed offset of the
 * group points past a request without a result. At the end every request must have a result: a request without
 * one is lost. Requests answered twice (work abandoned after its result was published but before its commit, none in
 * a clean drain) are counted too.
 *
 * <p>Everything runs against an ephemeral devstack (in-process Kafka broker and schema registry) in this JVM; the
 * workers are separate JVMs started with this JVM's class path and the real MiniLM model. Not a test: it paces
 * itself with sleeps, and it prints a report (Markdown) on stdout.
 *
 * <p>With {@code --throughput-passes N} it measures throughput instead of stopping workers: per pass, one worker
 * with the default admission (the work budget) and one with {@code backpressure.work-budget-share=0} (the record
 * window alone, the admission before issue 21), in alternating order, each from its first result to the last of a
 * backlog produced before it started; the report gives requests per second and each pass's ratio.
 */
@Command(
        name = "shutdown-bench",
        mixinStandardHelpOptions = true,
        description =
                "SIGTERM a loaded worker N times at random moments; report time to exit, drained, abandoned, lost.")
public final class ShutdownBench implements Callable<Integer> {

    static final String MODEL = "all-minilm-l6-v2-q";
    static final String T2T_MODEL = "toy-transformer";

    /** What the job's requests hold. */
    enum Mix {
        /** The bench's generated sample sentences, {@code --texts} per request (the bench before {@code --mix}). */
        sample(Capability.TEXT_EMBEDDING, 3000),
        /** One real short sentence (5-120 words) per request. */
        short_(Capability.TEXT_EMBEDDING, 3000),
        /** One real chunk-sized document (150-400 words, cut at 256 tokens by the model) per request. */
        chunk(Capability.TEXT_EMBEDDING, 800),
        /** 64 real short sentences per request. */
        texts64(Capability.TEXT_EMBEDDING, 200),
        /** short, chunk and texts64 requests in turn. */
        even(Capability.TEXT_EMBEDDING, 500),
        /** Text-to-text on the toy transformer: a 16-64-word prompt, 64 new tokens at most. */
        t2t(Capability.TEXT_TO_TEXT, 300);

        final Capability capability;
        final int defaultBacklog;

        Mix(Capability capability, int defaultBacklog) {
            this.capability = capability;
            this.defaultBacklog = defaultBacklog;
        }

        String label() {
            return this == short_ ? "short" : name();
        }

        static Mix parse(String name) {
            for (Mix m : values()) {
                if (m.label().equals(name)) {
                    return m;
                }
            }
            throw new IllegalArgumentException(
                    "unknown mix '" + name + "'; allowed: sample, short, chunk, texts64, " + "even, t2t");
        }
    }

    @Option(
            names = "--mix",
            defaultValue = "sample",
            converter = MixConverter.class,
            description = "Requests of the job: sample (generated sentences, --texts per request), short, chunk, "
                    + "texts64, even or t2t (default ${DEFAULT-VALUE}).")
    Mix mix;

    @Option(
            names = "--corpus-dir",
            defaultValue = "/tmp/corpus",
            description = "Where RealCorpus wrote short.txt and chunk.txt (default ${DEFAULT-VALUE}).")
    Path corpusDir;

    @Option(
            names = "--t2t-model-dir",
            defaultValue = "bench/target/toy-transformer",
            description = "model.onnx and tokenizer.json of the t2t mix; written by tools/toy_causal_lm.py "
                    + "--transformer when missing (default ${DEFAULT-VALUE}).")
    Path t2tModelDir;

    @Option(
            names = "--max-new-tokens",
            defaultValue = "64",
            description = "New tokens per text-to-text request (default ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(
            names = "--throughput-passes",
            defaultValue = "0",
            description = "Measure throughput, work budget against record window, this many passes, instead of "
                    + "stopping workers (default ${DEFAULT-VALUE}: stop workers).")
    int throughputPasses;

    @Option(
            names = "--throughput-requests",
            description = "Requests per throughput measurement (default: 4 x the " + "mix's backlog).")
    Integer throughputRequests;

    static final class MixConverter implements CommandLine.ITypeConverter<Mix> {
        @Override
        public Mix convert(String value) {
            return Mix.parse(value);
        }
    }

    @Option(names = "--runs", defaultValue = "20", description = "SIGTERMs (default ${DEFAULT-VALUE}).")
    int runs;

    @Option(
            names = "--backlog",
            description = "Unanswered requests kept queued before each worker starts (default: the mix's, 3000 short "
                    + "or sample, 800 chunk, 200 texts64, 500 even, 300 t2t).")
    Integer backlogOption;

    int backlog;

    @Option(names = "--texts", defaultValue = "2", description = "Texts per request (default ${DEFAULT-VALUE}).")
    int textsPerRequest;

    @Option(
            names = "--partitions",
            defaultValue = "4",
            description = "Request topic partitions (default ${DEFAULT-VALUE}).")
    int partitions;

    @Option(
            names = "--min-delay-ms",
            defaultValue = "500",
            description = "Earliest SIGTERM after the worker's first result (default ${DEFAULT-VALUE}).")
    long minDelayMs;

    @Option(
            names = "--max-delay-ms",
            defaultValue = "4000",
            description = "Latest SIGTERM after the worker's first result (default ${DEFAULT-VALUE}).")
    long maxDelayMs;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the texts and the signal moments.")
    long seed;

    @Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            description = "Extra worker setting for every worker of the chain; repeatable (for example "
                    + "backpressure.high-water=512).")
    List<String> workerSettings = new ArrayList<>();

    @Option(names = "--worker-heap", defaultValue = "512m", description = "Heap of each worker JVM.")
    String workerHeap;

    @Option(
            names = "--work-dir",
            defaultValue = "target/shutdown-bench",
            description = "Where worker logs and the manifest go (default ${DEFAULT-VALUE}).")
    Path workDir;

    /** One SIGTERM's measurements. */
    record Stop(
            int run,
            long delayMs,
            int exitStatus,
            double exitSeconds,
            double logSeconds,
            int inFlight,
            int drained,
            int abandoned,
            int committedPastUnanswered) {}

    /** The manifest every worker of an embedding mix serves: the shipped MiniLM entry, alone. */
    static final String MANIFEST = """
            models:
              - key: all-minilm-l6-v2-q
                capability: text-embedding
                family: encoder-embedding
                source: classpath:all-minilm-l6-v2-q.onnx
                tokenizer: classpath:all-minilm-l6-v2-q-tokenizer.json
                batch-invariant: true
                parameters:
                  pooling: mean
                  normalize: true
                  max-sequence-length: 256
                batch:
                  max-items: 8
                  max-tokens: 2048
                  max-delay: 2ms
                  queue-capacity: 4096
                workers: 2
                session:
                  intra-op-threads: 1
                  inter-op-threads: 1
                  optimization-level: all
                  execution-mode: sequential
            """;

    /** The manifest of the t2t mix: the toy transformer, one generation at a time on two workers. */
    static final String T2T_MANIFEST = """
            models:
              - key: toy-transformer
                capability: text-to-text
                family: causal-lm
                source: file:%s
                tokenizer: file:%s
                parameters:
                  eos-token: "<eos>"
                  shutdown-grace: 3s
                workers: 2
                session:
                  intra-op-threads: 1
                  inter-op-threads: 1
            """;

    private static final Pattern IN_FLIGHT = Pattern.compile("Shutdown: draining (\\d+) in-flight requests");
    private static final Pattern CLEAN =
            Pattern.compile("Graceful shutdown complete \\((\\d+\\.\\d+)s, (\\d+) " + "requests drained\\)");
    private static final Pattern PARTIAL =
            Pattern.compile("Shutdown complete \\((\\d+\\.\\d+)s, (\\d+) requests " + "drained, (\\d+) abandoned");

    private DevStack stack;
    private String prefix;
    private String requestTopic;
    private KafkaProducer<String, SpecificRecord> producer;
    private KafkaConsumer<String, GenericRecord> results;
    private Admin admin;
    private final Map<String, Long> sentAt = new HashMap<>();
    private final Map<TopicPartition, TreeMap<Long, String>> byOffset = new HashMap<>();
    private final Map<String, Integer> answers = new HashMap<>();
    private final Map<String, String> firstAnswerer = new HashMap<>();
    private final Map<String, Integer> answeredBy = new HashMap<>();
    private int sent;
    private Random random;
    private List<String> shortTexts = List.of();
    private List<String> chunkTexts = List.of();
    private List<String> promptWords = List.of();
    private String corpusLine = "";

    public static void main(String[] args) {
        System.exit(new CommandLine(new ShutdownBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        random = new Random(seed);
        backlog = backlogOption != null ? backlogOption : mix.defaultBacklog;
        if (backlog < 1 || runs < 0 || maxNewTokens < 1 || throughputPasses < 0) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this),
                    "need --backlog >= 1, --runs >= 0, " + "--max-new-tokens >= 1 and --throughput-passes >= 0");
        }
        Files.createDirectories(workDir);
        Path manifest = workDir.resolve(mix.label() + ".yaml").toAbsolutePath();
        Files.writeString(manifest, prepareMix(), StandardCharsets.UTF_8);
        if (throughputPasses > 0) {
            return throughput(manifest);
        }
        String loadBefore = loadAverage();
        List<Stop> stops = new ArrayList<>();
        Instant began = Instant.now();
        try (DevStack s = DevStack.start(DevStackOptions.ephemeral())) {
            stack = s;
            openClients();
            for (int run = 1; run <= runs; run++) {
                topUp();
                stops.add(stopOne(run, manifest));
            }
            int before = answeredCount();
            print("final worker finishes the job: %d of %d requests answered so far", before, sent);
            WorkerRun last = WorkerRun.start(this, "final", manifest);
            last.awaitLog("Partitions assigned: [", Duration.ofMinutes(2));
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (answeredCount() < sent && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            last.process.destroy();
            last.process.waitFor(30, TimeUnit.SECONDS);
            int lost = sent - answeredCount();
            int duplicates = 0;
            for (int count : answers.values()) {
                duplicates += Math.max(0, count - 1);
            }
            String report =
                    report(stops, lost, duplicates, loadBefore, loadAverage(), Duration.between(began, Instant.now()));
            System.out.println(report);
            Files.writeString(workDir.resolve("report.md"), report, StandardCharsets.UTF_8);
            return lost == 0 && stops.stream().allMatch(st -> st.committedPastUnanswered() == 0 && st.exitStatus() == 0)
                    ? 0
                    : 1;
        } finally {
            closeClients();
        }
    }

    // ------------------------------------------------------------------ throughput

    /** Work budget against record window, {@code --throughput-passes} times in alternating order. */
    private int throughput(Path manifest) throws Exception {
        int perPass = throughputRequests != null ? throughputRequests : 4 * backlog;
        String loadBefore = loadAverage();
        Instant began = Instant.now();
        List<double[]> passes = new ArrayList<>();
        int unanswered;
        try (DevStack s = DevStack.start(DevStackOptions.ephemeral())) {
            stack = s;
            openClients();
            for (int pass = 1; pass <= throughputPasses; pass++) {
                double[] perSecond = new double[2];
                boolean workFirst = pass % 2 == 1;
                for (boolean byWork : workFirst ? List.of(true, false) : List.of(false, true)) {
                    perSecond[byWork ? 0 : 1] =
                            measure(manifest, "pass-" + pass + (byWork ? "-work" : "-records"), byWork, perPass);
                }
                passes.add(perSecond);
                print(
                        "pass %d: work budget %.1f requests/s, record window %.1f requests/s, ratio %.3f",
                        pass, perSecond[0], perSecond[1], perSecond[0] / perSecond[1]);
            }
            unanswered = sent - answeredCount();
        } finally {
            closeClients();
        }
        double[] ratios = passes.stream().mapToDouble(p -> p[0] / p[1]).sorted().toArray();
        StringBuilder b = new StringBuilder();
        b.append(String.format(
                Locale.ROOT,
                "Mix %s: throughput through Kafka, %d passes of %d requests per "
                        + "admission, %d partitions, one worker from its first result to the backlog's last, worker settings "
                        + "%s; %d cores, load average %s before, %s after; %d s in all.%n%nCorpus: %s.%n%n",
                mix.label(),
                passes.size(),
                perPass,
                partitions,
                workerSettings.isEmpty() ? "default" : workerSettings,
                Runtime.getRuntime().availableProcessors(),
                loadBefore,
                loadAverage(),
                Duration.between(began, Instant.now()).toSeconds(),
                corpusLine));
        b.append("| pass | first | work budget | record window (`backpressure.work-budget-share=0`) | ratio |\n"
                + "|---|---|---:|---:|---:|\n");
        for (int i = 0; i < passes.size(); i++) {
            double[] p = passes.get(i);
            b.append(String.format(
                    Locale.ROOT,
                    "| %d | %s | %.1f requests/s | %.1f requests/s | %.3f |%n",
                    i + 1,
                    i % 2 == 0 ? "work budget" : "record window",
                    p[0],
                    p[1],
                    p[0] / p[1]));
        }
        b.append(String.format(
                Locale.ROOT,
                "%nRatio, work budget over record window: median %.3f, min %.3f, max " + "%.3f.%n",
                ratios.length % 2 == 1
                        ? ratios[ratios.length / 2]
                        : (ratios[ratios.length / 2 - 1] + ratios[ratios.length / 2]) / 2,
                ratios[0],
                ratios[ratios.length - 1]));
        System.out.println(b);
        Files.writeString(workDir.resolve("throughput-" + mix.label() + ".md"), b.toString(), StandardCharsets.UTF_8);
        return unanswered == 0 ? 0 : 1;
    }

    /** Requests per second one worker answers, from its first result to the last of {@code count} new requests. */
    private double measure(Path manifest, String workerId, boolean byWork, int count) throws Exception {
        answeredCount();
        produce(count);
        WorkerRun worker = WorkerRun.start(
                this, workerId, manifest, byWork ? Map.of() : Map.of("backpressure.work-budget-share", "0"));
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (answeredBy.getOrDefault(workerId, 0) == 0) {
            if (System.nanoTime() > deadline || !worker.process.isAlive()) {
                worker.process.destroyForcibly();
                throw new IllegalStateException(workerId + " answered nothing in 2 minutes; see " + worker.log);
            }
            answeredCount();
            Thread.sleep(20);
        }
        long first = System.nanoTime();
        int before = answeredBy.get(workerId);
        deadline = first + TimeUnit.MINUTES.toNanos(10);
        while (answeredCount() < sent) {
            if (System.nanoTime() > deadline || !worker.process.isAlive()) {
                worker.process.destroyForcibly();
                throw new IllegalStateException(workerId + " left requests unanswered; see " + worker.log);
            }
            Thread.sleep(20);
        }
        double perSecond = (answeredBy.get(workerId) - before) / ((System.nanoTime() - first) / 1e9);
        worker.process.destroy();
        if (!worker.process.waitFor(60, TimeUnit.SECONDS)) {
            worker.process.destroyForcibly();
        }
        print("%s: %.1f requests/s", workerId, perSecond);
        return perSecond;
    }

    // ------------------------------------------------------------------ SIGTERMs

    private Stop stopOne(int run, Path manifest) throws Exception {
        WorkerRun worker = WorkerRun.start(this, "run-" + run, manifest);
        worker.awaitLog("Partitions assigned: [", Duration.ofMinutes(2));
        worker.awaitLog("Signal handlers installed", Duration.ofMinutes(2));
        String workerId = "run-" + run;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (!firstAnswerer.containsValue(workerId)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(workerId + " answered nothing in 2 minutes; see " + worker.log);
            }
            answeredCount();
            Thread.sleep(20);
        }
        long delay = minDelayMs + (long) (random.nextDouble() * (maxDelayMs - minDelayMs));
        Thread.sleep(delay);
        long signalled = System.nanoTime();
        worker.process.destroy();
        if (!worker.process.waitFor(60, TimeUnit.SECONDS)) {
            worker.process.destroyForcibly();
            throw new IllegalStateException(workerId + " still running 60 s after SIGTERM; see " + worker.log);
        }
        double exitSeconds = (System.nanoTime() - signalled) / 1e9;
        String log = Files.readString(worker.log, StandardCharsets.UTF_8);
        int inFlight = group(IN_FLIGHT, log, 1);
        Matcher clean = CLEAN.matcher(log);
        Matcher partial = PARTIAL.matcher(log);
        double logSeconds;
        int drained;
        int abandoned;
        if (clean.find()) {
            logSeconds = Double.parseDouble(clean.group(1));
            drained = Integer.parseInt(clean.group(2));
            abandoned = 0;
        } else if (partial.find()) {
            logSeconds = Double.parseDouble(partial.group(1));
            drained = Integer.parseInt(partial.group(2));
            abandoned = Integer.parseInt(partial.group(3));
        } else {
            logSeconds = -1;
            drained = -1;
            abandoned = -1;
        }
        int pastUnanswered = committedPastUnanswered();
        Stop stop = new Stop(
                run,
                delay,
                worker.process.exitValue(),
                exitSeconds,
                logSeconds,
                inFlight,
                drained,
                abandoned,
                pastUnanswered);
        print(
                "run %2d: SIGTERM %4d ms after its first result, exit %d after %.2f s; in flight %d, drained %d, "
                        + "abandoned %d; committed offsets past unanswered requests: %d",
                run, delay, stop.exitStatus(), exitSeconds, inFlight, drained, abandoned, pastUnanswered);
        return stop;
    }

    // ------------------------------------------------------------------ the job

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void openClients() throws Exception {
        prefix = "bench" + Long.toHexString(System.nanoTime() & 0xffffff);
        requestTopic = Topics.requests(prefix, mix.capability);
        String resultTopic = Topics.results(prefix, mix.capability);
        admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()));
        admin.createTopics(List.of(
                        new NewTopic(requestTopic, partitions, (short) 1),
                        new NewTopic(resultTopic, partitions, (short) 1),
                        new NewTopic(Topics.deadLetters(prefix), 1, (short) 1)))
                .all()
                .get(30, TimeUnit.SECONDS);
        TopicReadiness.awaitWritable(
                admin, List.of(requestTopic, resultTopic, Topics.deadLetters(prefix)), Duration.ofSeconds(30));
        Map<String, Object> registry = Map.of("schema.registry.url", stack.schemaRegistryUrl());
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        Class<? extends SpecificRecord> requestType =
                mix.capability == Capability.TEXT_TO_TEXT ? TextToTextRequest.class : TextEmbeddingRequest.class;
        producer = new KafkaProducer<>(p, new StringSerializer(), (Serializer<SpecificRecord>)
                (Serializer) ConfluentAvroSerde.specificSerializer(requestType, registry, false));
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        results = new KafkaConsumer<>(
                c, new StringDeserializer(), ConfluentAvroSerde.genericDeserializer(registry, false));
        List<TopicPartition> parts = new ArrayList<>();
        for (int i = 0; i < partitions; i++) {
            parts.add(new TopicPartition(resultTopic, i));
        }
        results.assign(parts);
        results.seekToBeginning(parts);
    }

    private void closeClients() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
        if (results != null) {
            results.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
    }

    /** Produces requests until {@code backlog} are unanswered, and records where each landed. */
    private void topUp() throws Exception {
        produce(backlog - (sent - answeredCount()));
    }

    /** Produces {@code count} requests of the mix and records where each landed. */
    private void produce(int count) throws Exception {
        int missing = Math.max(0, count);
        List<Future<RecordMetadata>> futures = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < missing; i++) {
            String id = "r-" + (sent + i);
            futures.add(producer.send(new ProducerRecord<>(requestTopic, id, request(id, sent + i))));
            ids.add(id);
        }
        producer.flush();
        for (int i = 0; i < futures.size(); i++) {
            RecordMetadata md = futures.get(i).get(30, TimeUnit.SECONDS);
            byOffset.computeIfAbsent(new TopicPartition(md.topic(), md.partition()), k -> new TreeMap<>())
                    .put(md.offset(), ids.get(i));
            sentAt.put(ids.get(i), System.currentTimeMillis());
        }
        sent += Math.max(0, missing);
    }

    /** Request number {@code n} of the mix. */
    private SpecificRecord request(String id, int n) {
        if (mix == Mix.t2t) {
            int words = 16 + random.nextInt(49);
            StringBuilder prompt = new StringBuilder();
            for (int w = 0; w < words; w++) {
                prompt.append(w == 0 ? "" : " ").append(promptWords.get(random.nextInt(promptWords.size())));
            }
            return TextToTextRequest.newBuilder()
                    .setId(id)
                    .setJobId(prefix)
                    .setModel(T2T_MODEL)
                    .setPrompt(prompt.toString())
                    .setParameters(GenerationParameters.newBuilder()
                            .setMaxNewTokens(maxNewTokens)
                            .build())
                    .build();
        }
        Mix kind = mix == Mix.even ? List.of(Mix.short_, Mix.chunk, Mix.texts64).get(n % 3) : mix;
        List<String> texts = new ArrayList<>();
        switch (kind) {
            case short_ -> texts.add(pick(shortTexts));
            case chunk -> texts.add(pick(chunkTexts));
            case texts64 -> {
                for (int t = 0; t < 64; t++) {
                    texts.add(pick(shortTexts));
                }
            }
            default -> {
                for (int t = 0; t < textsPerRequest; t++) {
                    texts.add(sentence());
                }
            }
        }
        return TextEmbeddingRequest.newBuilder()
                .setId(id)
                .setJobId(prefix)
                .setModel(MODEL)
                .setTexts(texts)
                .setInputType(EmbeddingInputType.DOCUMENT)
                .build();
    }

    private String pick(List<String> texts) {
        return texts.get(random.nextInt(texts.size()));
    }

    /** Reads what the mix needs (corpus, toy model) and returns the workers' manifest. */
    private String prepareMix() throws Exception {
        if (mix == Mix.t2t) {
            Path model = t2tModelDir.resolve("model.onnx").toAbsolutePath();
            Path tokenizer = t2tModelDir.resolve("tokenizer.json").toAbsolutePath();
            if (!Files.exists(model) || !Files.exists(tokenizer)) {
                writeToyTransformer();
            }
            String json = Files.readString(tokenizer, StandardCharsets.UTF_8);
            List<String> words = new ArrayList<>();
            for (int i = 2; json.contains("\"w" + i + "\""); i++) {
                words.add("w" + i);
            }
            if (words.isEmpty()) {
                throw new IllegalStateException(tokenizer + " is not a tokenizer written by tools/toy_causal_lm.py");
            }
            promptWords = words;
            corpusLine = String.format(
                    Locale.ROOT,
                    "prompts of 16-64 random words of the toy transformer's "
                            + "%d-word vocabulary, %d new tokens at most",
                    words.size(),
                    maxNewTokens);
            return T2T_MANIFEST.formatted(model, tokenizer);
        }
        if (mix != Mix.sample) {
            Path shortFile = corpusDir.resolve("short.txt");
            Path chunkFile = corpusDir.resolve("chunk.txt");
            if (!Files.exists(shortFile) || !Files.exists(chunkFile)) {
                throw new CommandLine.ParameterException(
                        new CommandLine(this),
                        corpusDir + " lacks short.txt or "
                                + "chunk.txt; write them with: java -cp bench/target/classes io.modelpool.bench.RealCorpus "
                                + corpusDir);
            }
            shortTexts = CorpusFile.read(shortFile, Integer.MAX_VALUE);
            chunkTexts = CorpusFile.read(chunkFile, Integer.MAX_VALUE);
            try (HuggingFaceTokenizer tokenizer = MiniLm.tokenizer(MiniLm.MAX_TOKENS)) {
                corpusLine = String.format(
                        Locale.ROOT,
                        "%s: %d sentences, MiniLM tokens %s; %s: %d chunks, %d of "
                                + "them cut at %d tokens, tokens %s",
                        shortFile,
                        shortTexts.size(),
                        CorpusFile.percentiles(shortTexts, tokenizer),
                        chunkFile,
                        chunkTexts.size(),
                        CorpusFile.truncated(chunkTexts, tokenizer, MiniLm.MAX_TOKENS),
                        MiniLm.MAX_TOKENS,
                        CorpusFile.percentiles(chunkTexts, tokenizer));
            }
        } else {
            corpusLine =
                    "generated sentences of 5-44 words from a 40-word vocabulary, " + textsPerRequest + " per request";
        }
        return MANIFEST;
    }

    private void writeToyTransformer() throws IOException, InterruptedException {
        List<String> command =
                List.of("/usr/bin/python3", "tools/toy_causal_lm.py", "--transformer", t2tModelDir.toString());
        print("writing the t2t model: %s", String.join(" ", command));
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

    private String sentence() {
        String[] words = ("the a model worker kafka partition offset commit batch token vector embedding request "
                        + "result queue drain signal broker registry schema avro latency throughput memory cluster fleet "
                        + "river mountain coffee morning garden letter window music teacher city winter bridge")
                .split(" ");
        int len = 5 + random.nextInt(40);
        StringBuilder sb = new StringBuilder();
        for (int w = 0; w < len; w++) {
            sb.append(w == 0 ? "" : " ").append(words[random.nextInt(words.length)]);
        }
        return sb.append('.').toString();
    }

    /** Reads the result topic to its end; returns how many requests have at least one result. */
    private int answeredCount() {
        Map<TopicPartition, Long> end = results.endOffsets(results.assignment(), Duration.ofSeconds(10));
        boolean behind = true;
        while (behind) {
            for (ConsumerRecord<String, GenericRecord> r : results.poll(Duration.ofMillis(50))) {
                String id = String.valueOf(r.value().get("requestId"));
                answers.merge(id, 1, Integer::sum);
                String worker = String.valueOf(r.value().get("workerId"));
                if (firstAnswerer.putIfAbsent(id, worker) == null) {
                    answeredBy.merge(worker, 1, Integer::sum);
                }
            }
            behind = false;
            for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
                if (results.position(e.getKey()) < e.getValue()) {
                    behind = true;
                }
            }
        }
        return answers.size();
    }

    /** Requests below the group's committed offsets that have no result: must be 0. */
    private int committedPastUnanswered() throws Exception {
        answeredCount();
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(prefix + "-workers")
                .partitionsToOffsetAndMetadata()
                .get(30, TimeUnit.SECONDS);
        int count = 0;
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : committed.entrySet()) {
            if (e.getValue() == null) {
                continue;
            }
            for (String id : byOffset.getOrDefault(e.getKey(), new TreeMap<>())
                    .headMap(e.getValue().offset())
                    .values()) {
                if (!answers.containsKey(id)) {
                    count++;
                }
            }
        }
        return count;
    }

    // ------------------------------------------------------------------ worker processes

    /** One worker JVM of the chain and its log file. */
    private static final class WorkerRun {
        final Process process;
        final Path log;

        private WorkerRun(Process process, Path log) {
            this.process = process;
            this.log = log;
        }

        static WorkerRun start(ShutdownBench bench, String workerId, Path manifest) throws IOException {
            return start(bench, workerId, manifest, Map.of());
        }

        static WorkerRun start(ShutdownBench bench, String workerId, Path manifest, Map<String, String> extra)
                throws IOException {
            Path log = bench.workDir.resolve(workerId + ".log").toAbsolutePath();
            Path args = bench.workDir.resolve("classpath.args").toAbsolutePath();
            Files.writeString(
                    args,
                    "-cp \""
                            + System.getProperty("java.class.path")
                                    .replace("\\", "\\\\")
                                    .replace("\"", "\\\"") + "\"\n",
                    StandardCharsets.UTF_8);
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx" + bench.workerHeap,
                    "@" + args,
                    WorkerMain.class.getName(),
                    "run"));
            Map<String, String> settings = new TreeMap<>();
            settings.put("kafka.bootstrap.servers", bench.stack.bootstrapServers());
            settings.put("schema.registry.url", bench.stack.schemaRegistryUrl());
            settings.put("topic.prefix", bench.prefix);
            settings.put("group.id", bench.prefix + "-workers");
            settings.put("worker.id", workerId);
            settings.put("manifest", manifest.toString());
            for (String kv : bench.workerSettings) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new CommandLine.ParameterException(new CommandLine(bench), "--set needs KEY=VALUE: " + kv);
                }
                settings.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            settings.putAll(extra);
            settings.forEach((k, v) -> {
                command.add("--set");
                command.add(k + "=" + v);
            });
            Process p = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            return new WorkerRun(p, log);
        }

        void awaitLog(String fragment, Duration limit) throws Exception {
            long deadline = System.nanoTime() + limit.toNanos();
            while (!Files.readString(log, StandardCharsets.UTF_8).contains(fragment)) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("worker exited with " + process.exitValue() + " before logging '"
                            + fragment + "'; see " + log);
                }
                if (System.nanoTime() > deadline) {
                    process.destroyForcibly();
                    throw new IllegalStateException(
                            "worker did not log '" + fragment + "' in " + limit + "; see " + log);
                }
                Thread.sleep(20);
            }
        }
    }

    // ------------------------------------------------------------------ report

    private String report(
            List<Stop> stops, int lost, int duplicates, String loadBefore, String loadAfter, Duration took) {
        List<Double> exits = stops.stream().map(Stop::exitSeconds).sorted().toList();
        double median = exits.isEmpty()
                ? 0
                : exits.size() % 2 == 1
                        ? exits.get(exits.size() / 2)
                        : (exits.get(exits.size() / 2 - 1) + exits.get(exits.size() / 2)) / 2;
        double max = exits.isEmpty() ? 0 : exits.get(exits.size() - 1);
        int drained = stops.stream().mapToInt(s -> Math.max(0, s.drained())).sum();
        int abandoned = stops.stream().mapToInt(s -> Math.max(0, s.abandoned())).sum();
        long clean = stops.stream().filter(s -> s.abandoned() == 0).count();
        int pastUnanswered =
                stops.stream().mapToInt(Stop::committedPastUnanswered).sum();
        long nonZero = stops.stream().filter(s -> s.exitStatus() != 0).count();
        StringBuilder b = new StringBuilder();
        b.append(String.format(
                Locale.ROOT,
                "Mix %s: %d SIGTERMs, %d requests, %d partitions, backlog %d per "
                        + "worker, signal %d-%d ms after the worker's first result, worker settings %s; %d cores, load "
                        + "average %s before, %s after; %d s in all.%n%nCorpus: %s.%n%n",
                mix.label(),
                stops.size(),
                sent,
                partitions,
                backlog,
                minDelayMs,
                maxDelayMs,
                workerSettings.isEmpty() ? "default" : workerSettings,
                Runtime.getRuntime().availableProcessors(),
                loadBefore,
                loadAfter,
                took.toSeconds(),
                corpusLine));
        b.append("| measure | value |\n|---|---|\n");
        b.append(String.format(Locale.ROOT, "| time to exit, median | %.2f s |%n", median));
        b.append(String.format(Locale.ROOT, "| time to exit, max | %.2f s |%n", max));
        b.append(String.format(Locale.ROOT, "| clean drains (nothing abandoned) | %d of %d |%n", clean, stops.size()));
        b.append(String.format(Locale.ROOT, "| requests drained (sum) | %d |%n", drained));
        b.append(String.format(Locale.ROOT, "| requests abandoned (sum) | %d |%n", abandoned));
        b.append(String.format(Locale.ROOT, "| requests lost | %d |%n", lost));
        b.append(String.format(Locale.ROOT, "| committed offsets past an unanswered request | %d |%n", pastUnanswered));
        b.append(String.format(Locale.ROOT, "| requests answered twice | %d |%n", duplicates));
        b.append(String.format(Locale.ROOT, "| exits with a status other than 0 | %d |%n%n", nonZero));
        b.append("| run | signal after first result | exit status | time to exit | sequence (log) | in flight "
                + "| drained | abandoned |\n|---|---|---|---|---|---|---|---|\n");
        for (Stop s : stops) {
            b.append(String.format(
                    Locale.ROOT,
                    "| %d | %d ms | %d | %.2f s | %.2f s | %d | %d | %d |%n",
                    s.run(),
                    s.delayMs(),
                    s.exitStatus(),
                    s.exitSeconds(),
                    s.logSeconds(),
                    s.inFlight(),
                    s.drained(),
                    s.abandoned()));
        }
        return b.toString();
    }

    private static int group(Pattern p, String text, int group) {
        Matcher m = p.matcher(text);
        return m.find() ? Integer.parseInt(m.group(group)) : -1;
    }

    private static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static void print(String format, Object... args) {
        System.err.printf(Locale.ROOT, format + "%n", args);
    }
}

package io.modelpool.bench;

import static io.modelpool.bench.Stats.intArg;
import static io.modelpool.bench.Stats.max;
import static io.modelpool.bench.Stats.median;
import static io.modelpool.bench.Stats.min;
import static io.modelpool.bench.Stats.percentile;

import io.modelpool.devstack.DevStack;
import io.modelpool.devstack.DevStackOptions;
import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.Capability;
import io.modelpool.v1.EmbeddingInputType;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.v1.TextEmbeddingResult;
import io.modelpool.worker.Worker;
import io.modelpool.worker.capability.CapabilityService;
import io.modelpool.worker.capability.Outcome;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.kafka.IntakeListener;
import io.modelpool.worker.pool.PoolRejectedException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Issue 4's benchmark: text embedding end to end through Kafka on the local stack, against the pool alone, in one
 * JVM and one run.
 *
 * <ul>
 *   <li><b>Throughput.</b> {@code pool-only}: the worker's own text-embedding service called directly (validation,
 *       tokenising, inference, result records), every sentence submitted, then every result awaited.
 *       {@code through-kafka}: the same sentences produced as requests to the request topic, consumed by the
 *       worker, answered on the result topic, read back by a client; timed from the first send to the last result
 *       read. Passes alternate between the two, so both see the same background load.</li>
 *   <li><b>Added latency at light load.</b> One request at a time, spaced out: the time from calling the service to
 *       its result (pool only) and from sending the request to reading its result (through Kafka). The added
 *       latency is the difference of the medians.</li>
 * </ul>
 *
 * <p>The broker, the registry, the worker and the client all run in this JVM on this machine's cores, as with
 * {@code modelpool-worker local}: the Kafka numbers include the broker's own CPU use.
 *
 * <p><b>Warm-up.</b> The in-process broker, the Kafka clients and Kafka Streams are a lot of code for the JIT: on 2
 * cores, C2 compilation takes 20% to 50% of the CPU during the first through-Kafka passes and falls to a few percent
 * only after about ten (printed as the warm-up runs). A long embedding job spends minutes in that steady state, so
 * the measured passes start after {@code --warmup} through-Kafka passes.
 */
public final class KafkaBench {

    private static final String MODEL = "all-minilm-l6-v2-q";
    private static final String PREFIX = "bench";

    private final CapabilityService service;
    private final KafkaProducer<String, TextEmbeddingRequest> producer;
    private final KafkaProducer<String, TextEmbeddingRequest> latencyProducer;
    private final String requestTopic;
    /** Read time of each request's result, by request id, filled by the {@link ResultArrivals} reader. */
    private Map<String, Long> arrivals;

    private ResultArrivals reader;
    private long sequence;
    private String lastPass = "";
    /** Broker requests per 1,000 results of the last through-kafka pass, and of every measured one. */
    private double lastProduce;

    private double lastFetch;
    private final List<Double> produceRequests = new ArrayList<>();
    private final List<Double> fetchRequests = new ArrayList<>();

    private KafkaBench(
            CapabilityService service,
            Map<String, Object> producerBase,
            String requestTopic,
            Map<String, Object> registry) {
        this.service = service;
        this.requestTopic = requestTopic;
        Map<String, Object> bulk = new HashMap<>(producerBase);
        bulk.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        this.producer = new KafkaProducer<>(
                bulk,
                new StringSerializer(),
                ConfluentAvroSerde.specificSerializer(TextEmbeddingRequest.class, registry, false));
        Map<String, Object> single = new HashMap<>(producerBase);
        single.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        this.latencyProducer = new KafkaProducer<>(
                single,
                new StringSerializer(),
                ConfluentAvroSerde.specificSerializer(TextEmbeddingRequest.class, registry, false));
    }

    public static void main(String[] args) throws Exception {
        int passes = intArg(args, "--passes", 7);
        int warmup = intArg(args, "--warmup", 12);
        int sentences = intArg(args, "--sentences", 4096);
        int latencyRequests = intArg(args, "--latency-requests", 200);
        int intervalMs = intArg(args, "--latency-interval-ms", 50);
        boolean report = !Arrays.asList(args).contains("--no-report");
        List<String> corpus = Corpus.generate(sentences, Corpus.DEFAULT_SEED);
        String load = MachineInfo.currentLoadAverage();

        try (DevStack stack = DevStack.start(DevStackOptions.ephemeral().withDefaultPartitions(4))) {
            Map<String, String> settings = new HashMap<>();
            settings.put(WorkerConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers());
            settings.put(WorkerConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
            settings.put(WorkerConfig.TOPIC_PREFIX, PREFIX);
            settings.put(WorkerConfig.CREATE_TOPICS, "true");
            settings.put(WorkerConfig.TOPIC_PARTITIONS, "4");
            settings.put(WorkerConfig.WORKER_ID, "bench-worker");
            for (int i = 0; i < args.length - 1; i++) {
                if (args[i].equals("--set")) {
                    String[] kv = args[i + 1].split("=", 2);
                    settings.put(kv[0], kv[1]);
                }
            }
            Worker worker = Worker.start(WorkerConfig.of(settings), IntakeListener.NONE);
            worker.capabilities().awaitLoaded(Duration.ofMinutes(2));
            Map<String, Object> registry = Map.of("schema.registry.url", stack.schemaRegistryUrl());
            Map<String, Object> producerBase = Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                    stack.bootstrapServers(),
                    ProducerConfig.ACKS_CONFIG,
                    "all");
            KafkaBench bench = new KafkaBench(
                    worker.capabilities().service(Capability.TEXT_EMBEDDING),
                    producerBase,
                    Topics.requests(PREFIX, Capability.TEXT_EMBEDDING),
                    registry);
            ResultArrivals reader = new ResultArrivals(
                    stack.bootstrapServers(), registry, Topics.results(PREFIX, Capability.TEXT_EMBEDDING));
            bench.arrivals = reader.arrivals;
            bench.reader = reader;
            try {
                System.out.printf(
                        Locale.ROOT,
                        "KafkaBench: %d sentences, %d warm-up and %d measured passes, load " + "average %s%n",
                        corpus.size(),
                        warmup,
                        passes,
                        load);
                bench.poolPass(corpus);
                List<String> warmupRates = new ArrayList<>();
                for (int w = 1; w <= warmup; w++) {
                    double rate = bench.kafkaPass(corpus);
                    warmupRates.add(String.format(Locale.ROOT, "%.0f", rate));
                    System.out.printf(Locale.ROOT, "warm-up %d: through-kafka %.1f/s; %s%n", w, rate, bench.lastPass);
                }
                String poolCpu = bench.cpuOf(() -> bench.poolPass(corpus));
                String kafkaCpu = bench.cpuOf(() -> bench.kafkaPass(corpus));
                System.out.println("CPU during one pool-only pass: " + poolCpu);
                System.out.println("CPU during one through-kafka pass: " + kafkaCpu);
                double[] pool = new double[passes];
                double[] kafka = new double[passes];
                for (int p = 0; p < passes; p++) {
                    if (p % 2 == 0) {
                        pool[p] = bench.poolPass(corpus);
                        kafka[p] = bench.kafkaPass(corpus);
                    } else {
                        kafka[p] = bench.kafkaPass(corpus);
                        pool[p] = bench.poolPass(corpus);
                    }
                    bench.produceRequests.add(bench.lastProduce);
                    bench.fetchRequests.add(bench.lastFetch);
                    System.out.printf(
                            Locale.ROOT,
                            "pass %d: pool-only %.1f/s, through-kafka %.1f/s (%.3f); %s%n",
                            p + 1,
                            pool[p],
                            kafka[p],
                            kafka[p] / pool[p],
                            bench.lastPass);
                }
                long[] poolLatency = bench.poolLatencies(corpus, latencyRequests, intervalMs);
                long[] kafkaLatency = bench.kafkaLatencies(corpus, latencyRequests, intervalMs);
                String markdown = render(
                                corpus.size(),
                                passes,
                                pool,
                                kafka,
                                poolLatency,
                                kafkaLatency,
                                latencyRequests,
                                intervalMs,
                                MachineInfo.current(load))
                        + "- Broker requests per 1,000 results in the measured through-kafka passes (median): "
                        + bench.requestSummary() + ".\n"
                        + "- Warm-up, through-kafka sentences/s of each of the " + warmup + " passes before the "
                        + "measured ones: " + String.join(", ", warmupRates) + ".\n"
                        + "- CPU time by thread group (share of wall time; 2 busy cores = 200%) during one pool-only "
                        + "pass: " + poolCpu + ". During one through-kafka pass: " + kafkaCpu + ".\n";
                System.out.println(markdown);
                if (report) {
                    ReportFile.replaceSection(Path.of("docs", "benchmarks.md"), "kafka-end-to-end", markdown);
                }
            } finally {
                reader.close();
                bench.producer.close();
                bench.latencyProducer.close();
                worker.beginShutdown();
                worker.awaitShutdown();
            }
        }
    }

    private TextEmbeddingRequest request(String text) {
        return TextEmbeddingRequest.newBuilder()
                .setId("b-" + (sequence++))
                .setJobId("bench")
                .setModel(MODEL)
                .setTexts(List.of(text))
                .setInputType(EmbeddingInputType.DOCUMENT)
                .build();
    }

    private CompletableFuture<Outcome> submit(TextEmbeddingRequest request) {
        while (true) {
            try {
                return service.handle(request, new RequestContext("bench", System.currentTimeMillis()));
            } catch (PoolRejectedException e) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }
    }

    /** Sentences per second, pool only. */
    private double poolPass(List<String> corpus) {
        System.gc();
        long t0 = System.nanoTime();
        List<CompletableFuture<Outcome>> futures = new ArrayList<>(corpus.size());
        for (String s : corpus) {
            futures.add(submit(request(s)));
        }
        for (CompletableFuture<Outcome> f : futures) {
            TextEmbeddingResult r = (TextEmbeddingResult) f.join().record();
            if (r.getStatus() != ResultStatus.OK) {
                throw new IllegalStateException("pool-only request failed: " + r.getError());
            }
        }
        return corpus.size() / ((System.nanoTime() - t0) / 1e9);
    }

    /** Sentences per second through Kafka, from the first send to the last result read. */
    private double kafkaPass(List<String> corpus) {
        System.gc();
        Map<String, Long> requestsBefore = BrokerRequestCounts.snapshot();
        List<String> ids = new ArrayList<>(corpus.size());
        long t0 = System.nanoTime();
        for (String s : corpus) {
            TextEmbeddingRequest r = request(s);
            ids.add(r.getId());
            producer.send(new ProducerRecord<>(requestTopic, r.getId(), r));
        }
        producer.flush();
        long last = reader.awaitAll(ids, Duration.ofMinutes(5));
        long[] at = new long[ids.size()];
        for (int i = 0; i < ids.size(); i++) {
            at[i] = arrivals.remove(ids.get(i)) - t0;
        }
        Arrays.sort(at);
        int n = at.length;
        double steady = (0.8 * n) / ((at[(int) (0.9 * n) - 1] - at[(int) (0.1 * n)]) / 1e9);
        lastPass = String.format(
                Locale.ROOT,
                "first result %.0f ms, 10%% %.0f ms, 50%% %.0f ms, 90%% %.0f ms, last "
                        + "%.0f ms; steady rate (10%%..90%% of results) %.1f/s",
                at[0] / 1e6,
                at[(int) (0.1 * n)] / 1e6,
                at[n / 2] / 1e6,
                at[(int) (0.9 * n) - 1] / 1e6,
                at[n - 1] / 1e6,
                steady);
        Map<String, Long> requestsAfter = BrokerRequestCounts.snapshot();
        double perThousand = 1000.0 / corpus.size();
        lastProduce = perThousand * BrokerRequestCounts.between(requestsBefore, requestsAfter, "Produce");
        lastFetch = perThousand * BrokerRequestCounts.between(requestsBefore, requestsAfter, "Fetch");
        lastPass += String.format(
                Locale.ROOT, "; broker requests per 1,000 results: %.0f produce, %.0f fetch", lastProduce, lastFetch);
        return corpus.size() / ((last - t0) / 1e9);
    }

    private long[] poolLatencies(List<String> corpus, int n, int intervalMs) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            submit(request(corpus.get(i % corpus.size()))).join();
            out[i] = System.nanoTime() - t0;
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(intervalMs));
        }
        return out;
    }

    private long[] kafkaLatencies(List<String> corpus, int n, int intervalMs) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            TextEmbeddingRequest r = request(corpus.get(i % corpus.size()));
            long t0 = System.nanoTime();
            latencyProducer.send(new ProducerRecord<>(requestTopic, r.getId(), r));
            Long at;
            while ((at = arrivals.remove(r.getId())) == null) {
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100));
            }
            out[i] = at - t0;
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(intervalMs));
        }
        return out;
    }

    private static String render(
            int sentences,
            int passes,
            double[] pool,
            double[] kafka,
            long[] poolLatency,
            long[] kafkaLatency,
            int latencyRequests,
            int intervalMs,
            MachineInfo machine) {
        double poolMedian = median(pool);
        double kafkaMedian = median(kafka);
        double[] perPass = new double[passes];
        for (int i = 0; i < passes; i++) {
            perPass[i] = kafka[i] / pool[i];
        }
        double poolP50 = percentile(poolLatency, 50) / 1e6;
        double kafkaP50 = percentile(kafkaLatency, 50) / 1e6;
        double ratio = kafkaMedian / poolMedian;
        double added = kafkaP50 - poolP50;
        StringBuilder md = new StringBuilder();
        md.append(String.format(
                Locale.ROOT,
                "Machine: %d cores, %s, %s, heap %s, ONNX Runtime %s, load average at " + "start %s.%n%n",
                machine.cores(),
                machine.cpuModel(),
                machine.jvm(),
                machine.heap(),
                machine.onnxRuntime(),
                machine.loadAverage()));
        md.append(String.format(
                Locale.ROOT,
                "Throughput, %d sentences per pass, %d alternating passes after the "
                        + "warm-up (median, min-max):%n%n",
                sentences,
                passes));
        md.append("| contender | sentences/s | min | max |\n|---|---|---|---|\n");
        md.append(String.format(Locale.ROOT, "| pool-only | %.1f | %.1f | %.1f |%n", poolMedian, min(pool), max(pool)));
        md.append(String.format(
                Locale.ROOT, "| through-kafka | %.1f | %.1f | %.1f |%n%n", kafkaMedian, min(kafka), max(kafka)));
        md.append(String.format(
                Locale.ROOT,
                "- through-kafka / pool-only: **%.3f** (ratio of medians; median of "
                        + "per-pass ratios %.3f). Goal: at least 0.85 — %s.%n",
                ratio,
                median(perPass),
                ratio >= 0.85 ? "met" : "missed"));
        md.append(String.format(
                Locale.ROOT,
                "- Latency at light load, %d single requests %d ms apart: pool-only "
                        + "median %.2f ms (p95 %.2f), through Kafka median %.2f ms (p95 %.2f). Added by Kafka and batching: "
                        + "**%.2f ms** median. Goal: under 20 ms — %s.%n",
                latencyRequests,
                intervalMs,
                poolP50,
                percentile(poolLatency, 95) / 1e6,
                kafkaP50,
                percentile(kafkaLatency, 95) / 1e6,
                added,
                added < 20 ? "met" : "missed"));
        StringBuilder passesLine = new StringBuilder("- Per pass (pool-only / through-kafka):");
        for (int i = 0; i < passes; i++) {
            passesLine.append(String.format(Locale.ROOT, " %.0f/%.0f", pool[i], kafka[i]));
        }
        md.append(passesLine).append(".\n");
        return md.toString();
    }

    private String requestSummary() {
        double[] produce =
                produceRequests.stream().mapToDouble(Double::doubleValue).toArray();
        double[] fetch = fetchRequests.stream().mapToDouble(Double::doubleValue).toArray();
        return String.format(Locale.ROOT, "%.0f produce, %.0f fetch", median(produce), median(fetch));
    }

    /** Runs one pass and says where the process's CPU went meanwhile. */
    private String cpuOf(Runnable pass) {
        ThreadCpu.Snapshot before = ThreadCpu.snapshot();
        long t0 = System.nanoTime();
        pass.run();
        return ThreadCpu.split(before, ThreadCpu.snapshot(), System.nanoTime() - t0, KafkaBench::threadGroup);
    }

    /** The group of a Java thread of this JVM, by name. */
    private static String threadGroup(String name) {
        if (name.startsWith("modelpool-text-embedding")) {
            return "inference workers";
        }
        if (name.startsWith("modelpool-intake")) {
            return "worker intake thread";
        }
        if (name.contains("-jobs")) {
            return "job tracker";
        }
        if (name.endsWith("-results")) {
            return "worker result producer I/O";
        }
        if (name.startsWith("bench-") || name.equals("main") || name.startsWith("kafka-producer-network-thread")) {
            return "bench client";
        }
        if (name.startsWith("schema-registry")) {
            return "schema registry";
        }
        return "broker and other threads";
    }
}

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
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.worker.Worker;
import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.kafka.IntakeListener;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Issue 6's benchmark: the cost of {@code processing.guarantee=exactly_once} against {@code at_least_once} on the
 * same text-embedding job, in one JVM and one run.
 *
 * <p>Two workers run side by side on one ephemeral devstack, each on its own topic prefix and group: one
 * at_least_once, one exactly_once; every other setting is the same. Passes alternate between them (the order flips
 * every pass), so both see the same background load; the idle one only polls. A pass produces the corpus as one
 * request per sentence and times from the first send to the last result read back, by a {@code read_uncommitted}
 * reader for at_least_once and a {@code read_committed} reader for exactly_once, as their consumers would read.
 * Then single requests, spaced out, measure the latency each mode adds at light load.
 *
 * <p>{@code --set key=value} applies to both workers (for example {@code --set transaction.interval-ms=50});
 * {@code --no-report} leaves docs/benchmarks.md alone.
 */
public final class GuaranteeBench {

    private static final String MODEL = "all-minilm-l6-v2-q";

    /** One worker with its request producer and result reader. */
    private static final class Mode implements AutoCloseable {
        final String name;
        final Worker worker;
        final String requestTopic;
        final ResultArrivals reader;
        final KafkaProducer<String, TextEmbeddingRequest> producer;
        final KafkaProducer<String, TextEmbeddingRequest> single;

        Mode(
                String name,
                Worker worker,
                String requestTopic,
                ResultArrivals reader,
                KafkaProducer<String, TextEmbeddingRequest> producer,
                KafkaProducer<String, TextEmbeddingRequest> single) {
            this.name = name;
            this.worker = worker;
            this.requestTopic = requestTopic;
            this.reader = reader;
            this.producer = producer;
            this.single = single;
        }

        @Override
        public void close() throws InterruptedException {
            reader.close();
            producer.close();
            single.close();
            worker.beginShutdown();
            worker.awaitShutdown();
        }
    }

    private long sequence;

    public static void main(String[] args) throws Exception {
        int passes = intArg(args, "--passes", 5);
        int sentences = intArg(args, "--sentences", 4096);
        int latencyRequests = intArg(args, "--latency-requests", 100);
        int intervalMs = intArg(args, "--latency-interval-ms", 50);
        boolean report = !Arrays.asList(args).contains("--no-report");
        Map<String, String> overrides = new HashMap<>();
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals("--set")) {
                String[] kv = args[i + 1].split("=", 2);
                overrides.put(kv[0], kv[1]);
            }
        }
        List<String> corpus = Corpus.generate(sentences, Corpus.DEFAULT_SEED);
        String load = MachineInfo.currentLoadAverage();
        GuaranteeBench bench = new GuaranteeBench();
        try (DevStack stack = DevStack.start(DevStackOptions.ephemeral().withDefaultPartitions(4));
                Mode alo = bench.mode(stack, WorkerConfig.AT_LEAST_ONCE, overrides);
                Mode eos = bench.mode(stack, WorkerConfig.EXACTLY_ONCE, overrides)) {
            System.out.printf(
                    Locale.ROOT,
                    "GuaranteeBench: %d sentences, %d passes, load average %s, overrides %s%n",
                    corpus.size(),
                    passes,
                    load,
                    overrides);
            bench.pass(alo, corpus);
            bench.pass(eos, corpus);
            double[] aloRates = new double[passes];
            double[] eosRates = new double[passes];
            for (int p = 0; p < passes; p++) {
                if (p % 2 == 0) {
                    aloRates[p] = bench.pass(alo, corpus);
                    eosRates[p] = bench.pass(eos, corpus);
                } else {
                    eosRates[p] = bench.pass(eos, corpus);
                    aloRates[p] = bench.pass(alo, corpus);
                }
                System.out.printf(
                        Locale.ROOT,
                        "pass %d: at_least_once %.1f/s, exactly_once %.1f/s (%.3f)%n",
                        p + 1,
                        aloRates[p],
                        eosRates[p],
                        eosRates[p] / aloRates[p]);
            }
            long[] aloLatency = bench.latencies(alo, corpus, latencyRequests, intervalMs);
            long[] eosLatency = bench.latencies(eos, corpus, latencyRequests, intervalMs);
            String transactionInterval = overrides.getOrDefault(WorkerConfig.TRANSACTION_INTERVAL_MS, "100");
            String markdown = render(
                    corpus.size(),
                    passes,
                    aloRates,
                    eosRates,
                    aloLatency,
                    eosLatency,
                    latencyRequests,
                    intervalMs,
                    transactionInterval,
                    overrides,
                    MachineInfo.current(load));
            System.out.println(markdown);
            if (report) {
                ReportFile.replaceSection(Path.of("docs", "benchmarks.md"), "exactly-once-cost", markdown);
            }
        }
    }

    private Mode mode(DevStack stack, String guarantee, Map<String, String> overrides) {
        String prefix = "bench-" + (guarantee.equals(WorkerConfig.EXACTLY_ONCE) ? "eos" : "alo");
        Map<String, String> settings = new HashMap<>();
        settings.put(WorkerConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers());
        settings.put(WorkerConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
        settings.put(WorkerConfig.TOPIC_PREFIX, prefix);
        settings.put(WorkerConfig.GROUP_ID, prefix + "-workers");
        settings.put(WorkerConfig.CREATE_TOPICS, "true");
        settings.put(WorkerConfig.TOPIC_PARTITIONS, "4");
        settings.put(WorkerConfig.WORKER_ID, prefix + "-worker");
        settings.put(WorkerConfig.JOBS_TRACKER_ENABLED, "false");
        settings.putAll(overrides);
        settings.put(WorkerConfig.PROCESSING_GUARANTEE, guarantee);
        Worker worker = Worker.start(WorkerConfig.of(settings), IntakeListener.NONE);
        worker.capabilities().awaitLoaded(Duration.ofMinutes(2));
        Map<String, Object> registry = Map.of("schema.registry.url", stack.schemaRegistryUrl());
        Map<String, Object> bulk = new HashMap<>();
        bulk.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        bulk.put(ProducerConfig.ACKS_CONFIG, "all");
        bulk.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        Map<String, Object> one = new HashMap<>(bulk);
        one.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        ResultArrivals reader = new ResultArrivals(
                stack.bootstrapServers(),
                registry,
                Topics.results(prefix, Capability.TEXT_EMBEDDING),
                guarantee.equals(WorkerConfig.EXACTLY_ONCE));
        return new Mode(
                guarantee,
                worker,
                Topics.requests(prefix, Capability.TEXT_EMBEDDING),
                reader,
                new KafkaProducer<>(
                        bulk,
                        new StringSerializer(),
                        ConfluentAvroSerde.specificSerializer(TextEmbeddingRequest.class, registry, false)),
                new KafkaProducer<>(
                        one,
                        new StringSerializer(),
                        ConfluentAvroSerde.specificSerializer(TextEmbeddingRequest.class, registry, false)));
    }

    private TextEmbeddingRequest request(String text) {
        return TextEmbeddingRequest.newBuilder()
                .setId("g-" + (sequence++))
                .setJobId("bench")
                .setModel(MODEL)
                .setTexts(List.of(text))
                .setInputType(EmbeddingInputType.DOCUMENT)
                .build();
    }

    /** Sentences per second, from the first send to the last result read. */
    private double pass(Mode mode, List<String> corpus) {
        System.gc();
        List<String> ids = new ArrayList<>(corpus.size());
        long t0 = System.nanoTime();
        for (String s : corpus) {
            TextEmbeddingRequest r = request(s);
            ids.add(r.getId());
            mode.producer.send(new ProducerRecord<>(mode.requestTopic, r.getId(), r));
        }
        mode.producer.flush();
        long last = mode.reader.awaitAll(ids, Duration.ofMinutes(5));
        ids.forEach(mode.reader.arrivals::remove);
        return corpus.size() / ((last - t0) / 1e9);
    }

    private long[] latencies(Mode mode, List<String> corpus, int n, int intervalMs) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            TextEmbeddingRequest r = request(corpus.get(i % corpus.size()));
            long t0 = System.nanoTime();
            mode.single.send(new ProducerRecord<>(mode.requestTopic, r.getId(), r));
            Long at;
            long deadline = t0 + TimeUnit.SECONDS.toNanos(60);
            while ((at = mode.reader.arrivals.remove(r.getId())) == null) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no result for " + r.getId() + " within 60 s (" + mode.name + ")");
                }
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
            double[] alo,
            double[] eos,
            long[] aloLatency,
            long[] eosLatency,
            int latencyRequests,
            int intervalMs,
            String transactionInterval,
            Map<String, String> overrides,
            MachineInfo machine) {
        double[] perPass = new double[passes];
        for (int i = 0; i < passes; i++) {
            perPass[i] = eos[i] / alo[i];
        }
        double ratio = median(eos) / median(alo);
        StringBuilder md = new StringBuilder();
        md.append(String.format(
                Locale.ROOT,
                "Machine: %d cores, %s, %s, heap %s, ONNX Runtime %s, load average at "
                        + "start %s. Both workers at default settings except the job tracker off%s; "
                        + "transaction.interval-ms %s.%n%n",
                machine.cores(),
                machine.cpuModel(),
                machine.jvm(),
                machine.heap(),
                machine.onnxRuntime(),
                machine.loadAverage(),
                overrides.isEmpty() ? "" : " and " + overrides,
                transactionInterval));
        md.append(String.format(
                Locale.ROOT, "Throughput, %d sentences per pass, %d alternating passes:%n%n", sentences, passes));
        md.append("| guarantee | sentences/s (median) | min | max |\n|---|---:|---:|---:|\n");
        md.append(String.format(
                Locale.ROOT, "| at_least_once | %.1f | %.1f | %.1f |%n", median(alo), min(alo), max(alo)));
        md.append(String.format(
                Locale.ROOT, "| exactly_once | %.1f | %.1f | %.1f |%n%n", median(eos), min(eos), max(eos)));
        md.append(String.format(
                Locale.ROOT,
                "- exactly_once / at_least_once: **%.3f** (ratio of medians; median of "
                        + "per-pass ratios %.3f). Goal: at least 0.8 — %s.%n",
                ratio,
                median(perPass),
                ratio >= 0.8 ? "met" : "missed"));
        StringBuilder line = new StringBuilder("- Per pass (at_least_once / exactly_once):");
        for (int i = 0; i < passes; i++) {
            line.append(String.format(Locale.ROOT, " %.0f/%.0f", alo[i], eos[i]));
        }
        md.append(line).append(".\n");
        md.append(String.format(
                Locale.ROOT,
                "- Latency at light load, %d single requests %d ms apart, send to "
                        + "result read: at_least_once median %.2f ms (p95 %.2f), exactly_once median %.2f ms (p95 %.2f) "
                        + "read with read_committed. Added by transactions: **%.2f ms** median.%n",
                latencyRequests,
                intervalMs,
                percentile(aloLatency, 50) / 1e6,
                percentile(aloLatency, 95) / 1e6,
                percentile(eosLatency, 50) / 1e6,
                percentile(eosLatency, 95) / 1e6,
                (percentile(eosLatency, 50) - percentile(aloLatency, 50)) / 1e6));
        return md.toString();
    }
}

package io.modelpool.bench;

import static io.modelpool.bench.Stats.intArg;
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
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Issue 24's priority benchmark: interactive requests while a bulk job runs on the same worker.
 *
 * <p>One JVM: an ephemeral devstack (4 partitions), one worker with every setting at its default, and two clients.
 * The <b>bulk job</b> produces {@code --bulk} single-text requests with a job id (so they are bulk by the contract's
 * rule) to the bulk request topic, as {@code modelpool embed} does ({@code --same-topic}: to the interactive request
 * topic, as jobs went before the bulk topic existed), keeping at most {@code --bulk-window} unanswered, as
 * {@code modelpool embed --max-in-flight} does. The
 * <b>interactive client</b> sends single texts without a job id (interactive), {@code --rate} per second, each timed
 * from its send to its result read back.
 *
 * <p>Phases, in order: a warm-up bulk job ({@code --warmup} texts) so the JIT and the model's learned rate settle;
 * interactive requests on the idle worker ({@code --idle} of them); the bulk job alone; the same bulk job again
 * with interactive requests at the same rate for as long as it runs. Goals: interactive p50 and p95 under load at
 * most 2x the idle worker's; the bulk job's throughput with interactive load at least 0.9x of alone.
 */
public final class PriorityBench {

    private static final String MODEL = "all-minilm-l6-v2-q";
    private static final String PREFIX = "prio";

    private final KafkaProducer<String, TextEmbeddingRequest> bulkProducer;
    private final KafkaProducer<String, TextEmbeddingRequest> interactiveProducer;
    private final String requestTopic;
    private final String bulkTopic;
    private final ResultArrivals results;
    private final List<String> corpus;
    private long sequence;

    private PriorityBench(
            Map<String, Object> producerBase,
            Map<String, Object> registry,
            String requestTopic,
            String bulkTopic,
            ResultArrivals results,
            List<String> corpus) {
        Map<String, Object> bulk = new HashMap<>(producerBase);
        bulk.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        this.bulkProducer = new KafkaProducer<>(
                bulk,
                new StringSerializer(),
                ConfluentAvroSerde.specificSerializer(TextEmbeddingRequest.class, registry, false));
        Map<String, Object> single = new HashMap<>(producerBase);
        single.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        this.interactiveProducer = new KafkaProducer<>(
                single,
                new StringSerializer(),
                ConfluentAvroSerde.specificSerializer(TextEmbeddingRequest.class, registry, false));
        this.requestTopic = requestTopic;
        this.bulkTopic = bulkTopic;
        this.results = results;
        this.corpus = corpus;
    }

    public static void main(String[] args) throws Exception {
        int bulk = intArg(args, "--bulk", 100_000);
        int window = intArg(args, "--bulk-window", 10_000);
        int warmup = intArg(args, "--warmup", 4_000);
        int idle = intArg(args, "--idle", 200);
        int rate = intArg(args, "--rate", 20);
        boolean report = !Arrays.asList(args).contains("--no-report");
        boolean sameTopic = Arrays.asList(args).contains("--same-topic");
        String loadAtStart = MachineInfo.currentLoadAverage();
        List<String> corpus = Corpus.generate(Math.max(bulk, warmup), Corpus.DEFAULT_SEED);

        try (DevStack stack = DevStack.start(DevStackOptions.ephemeral().withDefaultPartitions(4))) {
            Map<String, String> settings = new HashMap<>();
            settings.put(WorkerConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers());
            settings.put(WorkerConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
            settings.put(WorkerConfig.TOPIC_PREFIX, PREFIX);
            settings.put(WorkerConfig.CREATE_TOPICS, "true");
            settings.put(WorkerConfig.TOPIC_PARTITIONS, "4");
            settings.put(WorkerConfig.WORKER_ID, "priority-bench");
            Worker worker = Worker.start(WorkerConfig.of(settings), IntakeListener.NONE);
            worker.capabilities().awaitLoaded(Duration.ofMinutes(2));
            Map<String, Object> registry = Map.of("schema.registry.url", stack.schemaRegistryUrl());
            Map<String, Object> producerBase = Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                    stack.bootstrapServers(),
                    ProducerConfig.ACKS_CONFIG,
                    "all");
            ResultArrivals results = new ResultArrivals(
                    stack.bootstrapServers(), registry, Topics.results(PREFIX, Capability.TEXT_EMBEDDING));
            String requests = Topics.requests(PREFIX, Capability.TEXT_EMBEDDING);
            PriorityBench bench = new PriorityBench(
                    producerBase,
                    registry,
                    requests,
                    sameTopic ? requests : Topics.bulkRequests(PREFIX, Capability.TEXT_EMBEDDING),
                    results,
                    corpus);
            try {
                System.out.printf(
                        Locale.ROOT,
                        "PriorityBench: bulk job of %d texts (window %d) on %s, interactive "
                                + "%d/s, load average %s%n",
                        bulk,
                        window,
                        bench.bulkTopic,
                        rate,
                        loadAtStart);
                double warm = bench.bulkJob("warm", warmup, window);
                System.out.printf(Locale.ROOT, "warm-up bulk job: %.1f texts/s%n", warm);
                long[] idleLatency = bench.interactive(idle, rate, null);
                System.out.printf(
                        Locale.ROOT,
                        "idle interactive: p50 %.1f ms, p95 %.1f ms%n",
                        percentile(idleLatency, 50) / 1e6,
                        percentile(idleLatency, 95) / 1e6);
                double alone = bench.bulkJob("alone", bulk, window);
                System.out.printf(Locale.ROOT, "bulk alone: %.1f texts/s%n", alone);
                AtomicBoolean bulkRunning = new AtomicBoolean(true);
                long[][] mixedLatency = new long[1][];
                Thread interactive = new Thread(
                        () -> mixedLatency[0] = bench.interactive(Integer.MAX_VALUE, rate, bulkRunning),
                        "bench-interactive");
                interactive.start();
                double mixed;
                try {
                    mixed = bench.bulkJob("mixed", bulk, window);
                } finally {
                    bulkRunning.set(false);
                    interactive.join();
                }
                String loadAtEnd = MachineInfo.currentLoadAverage();
                String markdown = render(
                        bulk,
                        window,
                        rate,
                        bench.bulkTopic,
                        idleLatency,
                        mixedLatency[0],
                        alone,
                        mixed,
                        MachineInfo.current(loadAtStart),
                        loadAtEnd);
                System.out.println(markdown);
                if (report) {
                    ReportFile.replaceSection(
                            Path.of("docs", "benchmarks.md"),
                            "priority-window-" + window + (sameTopic ? "" : "-bulk-topic"),
                            markdown);
                }
            } finally {
                results.close();
                bench.bulkProducer.close();
                bench.interactiveProducer.close();
                worker.beginShutdown();
                worker.awaitShutdown();
            }
        }
    }

    /** Runs one bulk job of {@code n} texts with at most {@code window} unanswered; returns texts per second. */
    private double bulkJob(String job, int n, int window) {
        Set<String> outstanding = new LinkedHashSet<>();
        long t0 = System.nanoTime();
        long last = t0;
        int sent = 0;
        while (sent < n || !outstanding.isEmpty()) {
            while (sent < n && outstanding.size() < window) {
                TextEmbeddingRequest r = TextEmbeddingRequest.newBuilder()
                        .setId(job + "-" + sent)
                        .setJobId(job)
                        .setModel(MODEL)
                        .setTexts(List.of(corpus.get(sent % corpus.size())))
                        .setInputType(EmbeddingInputType.DOCUMENT)
                        .build();
                bulkProducer.send(new ProducerRecord<>(bulkTopic, r.getId(), r));
                outstanding.add(r.getId());
                sent++;
            }
            boolean any = false;
            for (Iterator<String> it = outstanding.iterator(); it.hasNext(); ) {
                Long at = results.arrivals.remove(it.next());
                if (at != null) {
                    it.remove();
                    last = Math.max(last, at);
                    any = true;
                }
            }
            if (!any) {
                if (System.nanoTime() - last > TimeUnit.MINUTES.toNanos(2)) {
                    throw new IllegalStateException(
                            "bulk job " + job + ": no result for 2 minutes, " + outstanding.size() + " outstanding");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
            }
        }
        return n / ((last - t0) / 1e9);
    }

    /**
     * Sends single interactive texts at {@code rate} per second, one at a time, until {@code count} were sent or
     * {@code running} turns false; returns each one's latency in ns.
     */
    private long[] interactive(int count, int rate, AtomicBoolean running) {
        long interval = TimeUnit.SECONDS.toNanos(1) / rate;
        List<Long> latencies = new ArrayList<>();
        long next = System.nanoTime();
        for (int i = 0; i < count && (running == null || running.get()); i++) {
            LockSupport.parkNanos(next - System.nanoTime());
            String id = "i-" + (sequence++);
            TextEmbeddingRequest r = TextEmbeddingRequest.newBuilder()
                    .setId(id)
                    .setJobId(null)
                    .setModel(MODEL)
                    .setTexts(List.of(corpus.get((int) (sequence * 7919 % corpus.size()))))
                    .setInputType(EmbeddingInputType.QUERY)
                    .build();
            long t0 = System.nanoTime();
            interactiveProducer.send(new ProducerRecord<>(requestTopic, id, r));
            Long at;
            while ((at = results.arrivals.remove(id)) == null) {
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
            }
            latencies.add(at - t0);
            next = Math.max(next + interval, System.nanoTime());
        }
        return latencies.stream().mapToLong(Long::longValue).toArray();
    }

    private static String render(
            int bulk,
            int window,
            int rate,
            String bulkTopic,
            long[] idle,
            long[] mixed,
            double alone,
            double withInteractive,
            MachineInfo machine,
            String loadAtEnd) {
        double idle50 = percentile(idle, 50) / 1e6;
        double idle95 = percentile(idle, 95) / 1e6;
        double mixed50 = percentile(mixed, 50) / 1e6;
        double mixed95 = percentile(mixed, 95) / 1e6;
        double throughput = withInteractive / alone;
        StringBuilder md = new StringBuilder();
        md.append(String.format(
                Locale.ROOT,
                "Machine: %d cores, %s, %s, heap %s, ONNX Runtime %s, load average " + "%s at start, %s at end.%n%n",
                machine.cores(),
                machine.cpuModel(),
                machine.jvm(),
                machine.heap(),
                machine.onnxRuntime(),
                machine.loadAverage(),
                loadAtEnd));
        md.append(String.format(
                Locale.ROOT,
                "Bulk job of %,d single texts on `%s`, at most %,d unanswered; "
                        + "interactive single texts at %d/s.%n%n",
                bulk,
                bulkTopic,
                window,
                rate));
        md.append("| measure | idle / alone | with the other load | ratio | goal |\n|---|---|---|---|---|\n");
        md.append(String.format(
                Locale.ROOT,
                "| interactive p50 latency | %.1f ms | %.1f ms | %.2f | at most 2 — %s |%n",
                idle50,
                mixed50,
                mixed50 / idle50,
                mixed50 <= 2 * idle50 ? "met" : "missed"));
        md.append(String.format(
                Locale.ROOT,
                "| interactive p95 latency | %.1f ms | %.1f ms | %.2f | at most 2 — %s |%n",
                idle95,
                mixed95,
                mixed95 / idle95,
                mixed95 <= 2 * idle95 ? "met" : "missed"));
        md.append(String.format(
                Locale.ROOT,
                "| bulk texts/s | %.1f | %.1f | %.3f | at least 0.9 — %s |%n",
                alone,
                withInteractive,
                throughput,
                throughput >= 0.9 ? "met" : "missed"));
        md.append(String.format(
                Locale.ROOT,
                "%n%d interactive requests on the idle worker, %d during the bulk job.%n",
                idle.length,
                mixed.length));
        return md.toString();
    }
}

package io.modelpool.bench;

import static io.modelpool.bench.Stats.intArg;

import io.modelpool.devstack.DevStack;
import io.modelpool.devstack.DevStackOptions;
import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.Capability;
import io.modelpool.v1.EmbeddingInputType;
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.worker.WorkerMain;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Issue 20's distinct-id flood: what a flood of records with schema ids the registry never issued, each id
 * different, costs the good requests between them. One worker process (its own JVM, the real MiniLM model, default
 * settings but the job tracker off) on an ephemeral devstack with 4 partitions. Clean and flood passes alternate
 * (the order flips every pass): a clean pass produces {@code --good} one-sentence requests; a flood pass produces the
 * same requests with {@code --per-good} hostile records before each one (magic byte, a fresh id above 10^9, a few
 * body bytes), every id distinct over the whole run, so neither the negative cache nor the lookup sharing helps.
 * Good throughput is the good requests over the time from the first send to the last good result read; the flood
 * pass also reports when the last dead letter arrived.
 *
 * <p>{@code --set key=value} is passed to the worker; {@code --no-report} leaves docs/benchmarks.md alone.
 */
public final class FloodBench {

    private static final String MODEL = "all-minilm-l6-v2-q";
    private static final String PREFIX = "flood";
    private static final int PARTITIONS = 4;

    private final DevStack stack;
    private final String requests = Topics.requests(PREFIX, Capability.TEXT_EMBEDDING);
    private final String deadLetters = Topics.deadLetters(PREFIX);
    private final KafkaProducer<byte[], byte[]> producer;
    private final Serializer<TextEmbeddingRequest> serializer;
    private final ResultArrivals results;
    private final KafkaConsumer<byte[], byte[]> deadLetterOffsets;
    private long sequence;
    private int nextUnknownId = 1_000_000_000;
    private long deadLettersSeen;

    private FloodBench(DevStack stack) {
        this.stack = stack;
        Map<String, Object> registry = Map.of("schema.registry.url", stack.schemaRegistryUrl());
        this.producer = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        stack.bootstrapServers(),
                        ProducerConfig.LINGER_MS_CONFIG,
                        5,
                        ProducerConfig.ACKS_CONFIG,
                        "all"),
                new ByteArraySerializer(),
                new ByteArraySerializer());
        this.serializer = ConfluentAvroSerde.specificSerializer(TextEmbeddingRequest.class, registry, false);
        this.results = new ResultArrivals(
                stack.bootstrapServers(), registry, Topics.results(PREFIX, Capability.TEXT_EMBEDDING));
        this.deadLetterOffsets = new KafkaConsumer<>(
                Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
    }

    public static void main(String[] args) throws Exception {
        int good = intArg(args, "--good", 5_000);
        int perGood = intArg(args, "--per-good", 10);
        int passes = intArg(args, "--passes", 2);
        boolean report = !Arrays.asList(args).contains("--no-report");
        Map<String, String> settings = new TreeMap<>();
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals("--set")) {
                String[] kv = args[i + 1].split("=", 2);
                settings.put(kv[0], kv[1]);
            }
        }
        String load = MachineInfo.currentLoadAverage();
        List<String> corpus = Corpus.generate(good, Corpus.DEFAULT_SEED);
        Path work = Files.createTempDirectory("flood-bench");
        Process worker = null;
        try (DevStack stack = DevStack.start(DevStackOptions.ephemeral().withDefaultPartitions(PARTITIONS))) {
            worker = startWorker(stack, settings, work.resolve("worker.log"));
            awaitTopics(stack);
            FloodBench bench = new FloodBench(stack);
            System.out.printf(
                    Locale.ROOT,
                    "FloodBench: %d good requests, %d hostile before each, %d passes, "
                            + "load average %s, worker settings %s, worker log %s%n",
                    good,
                    perGood,
                    passes,
                    load,
                    settings,
                    work.resolve("worker.log"));
            bench.pass(corpus.subList(0, Math.min(500, good)), 0); // warm-up: assignment, model load, first batches
            double[] clean = new double[passes];
            double[] flood = new double[passes];
            double[] floodAll = new double[passes];
            for (int p = 0; p < passes; p++) {
                double[] f;
                if (p % 2 == 0) {
                    clean[p] = bench.pass(corpus, 0)[0];
                    f = bench.pass(corpus, perGood);
                } else {
                    f = bench.pass(corpus, perGood);
                    clean[p] = bench.pass(corpus, 0)[0];
                }
                flood[p] = f[0];
                floodAll[p] = f[1];
                System.out.printf(
                        Locale.ROOT,
                        "pass %d: clean %.1f good/s, flood %.1f good/s (%.3f); flood's %d "
                                + "dead letters all in after %.1f s%n",
                        p + 1,
                        clean[p],
                        flood[p],
                        flood[p] / clean[p],
                        good * perGood,
                        floodAll[p]);
            }
            String markdown = render(
                    good,
                    perGood,
                    passes,
                    clean,
                    flood,
                    floodAll,
                    settings,
                    MachineInfo.current(load),
                    MachineInfo.currentLoadAverage());
            System.out.println(markdown);
            if (report) {
                ReportFile.replaceSection(Path.of("docs", "benchmarks.md"), "distinct-id-flood", markdown);
            }
            bench.close();
        } finally {
            if (worker != null) {
                worker.destroy();
                if (!worker.waitFor(30, TimeUnit.SECONDS)) {
                    worker.destroyForcibly();
                }
            }
        }
    }

    private static Process startWorker(DevStack stack, Map<String, String> overrides, Path log) throws Exception {
        Path args = log.resolveSibling("classpath.args");
        Files.writeString(
                args,
                "-cp \""
                        + System.getProperty("java.class.path")
                                .replace("\\", "\\\\")
                                .replace("\"", "\\\"") + "\"\n",
                StandardCharsets.UTF_8);
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "@" + args,
                WorkerMain.class.getName(),
                "run"));
        Map<String, String> settings = new TreeMap<>();
        settings.put("kafka.bootstrap.servers", stack.bootstrapServers());
        settings.put("schema.registry.url", stack.schemaRegistryUrl());
        settings.put("topic.prefix", PREFIX);
        settings.put("group.id", PREFIX + "-workers");
        settings.put("worker.id", PREFIX + "-worker");
        settings.put("topics.create", "true");
        settings.put("topics.partitions", Integer.toString(PARTITIONS));
        settings.put("jobs.tracker.enabled", "false");
        settings.putAll(overrides);
        settings.forEach((k, v) -> {
            command.add("--set");
            command.add(k + "=" + v);
        });
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    /** Waits until the worker has created its topics, so that their partitions can be read. */
    private static void awaitTopics(DevStack stack) {
        List<String> topics = List.of(
                Topics.requests(PREFIX, Capability.TEXT_EMBEDDING),
                Topics.results(PREFIX, Capability.TEXT_EMBEDDING),
                Topics.deadLetters(PREFIX));
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(
                Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            while (!c.listTopics(Duration.ofSeconds(10)).keySet().containsAll(topics)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the worker did not create " + topics + " within 3 minutes");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
            }
        }
    }

    private List<TopicPartition> deadLetterPartitions() {
        List<TopicPartition> parts = new ArrayList<>();
        deadLetterOffsets
                .listTopics(Duration.ofSeconds(10))
                .getOrDefault(deadLetters, List.of())
                .forEach(p -> parts.add(new TopicPartition(deadLetters, p.partition())));
        return parts;
    }

    private long deadLettersPublished() {
        return deadLetterOffsets.endOffsets(deadLetterPartitions()).values().stream()
                .mapToLong(Long::longValue)
                .sum();
    }

    /**
     * Produces the corpus as one request per sentence, each after {@code perGood} hostile records; returns good
     * requests per second (first send to last good result) and the seconds until the last dead letter.
     */
    private double[] pass(List<String> corpus, int perGood) {
        System.gc();
        List<String> ids = new ArrayList<>(corpus.size());
        long expectedDeadLetters = deadLettersSeen + (long) corpus.size() * perGood;
        long t0 = System.nanoTime();
        int i = 0;
        for (String text : corpus) {
            int partition = i++ % PARTITIONS;
            for (int h = 0; h < perGood; h++) {
                byte[] value = ByteBuffer.allocate(12)
                        .put((byte) 0)
                        .putInt(nextUnknownId++)
                        .put(new byte[7])
                        .array();
                producer.send(new ProducerRecord<>(requests, partition, null, value));
            }
            String id = "g-" + (sequence++);
            ids.add(id);
            TextEmbeddingRequest request = TextEmbeddingRequest.newBuilder()
                    .setId(id)
                    .setJobId("flood")
                    .setModel(MODEL)
                    .setTexts(List.of(text))
                    .setInputType(EmbeddingInputType.DOCUMENT)
                    .build();
            producer.send(new ProducerRecord<>(
                    requests, partition, id.getBytes(StandardCharsets.UTF_8), serializer.serialize(requests, request)));
        }
        producer.flush();
        long lastGood = results.awaitAll(ids, Duration.ofMinutes(30));
        ids.forEach(results.arrivals::remove);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
        long published;
        while ((published = deadLettersPublished()) < expectedDeadLetters) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        published + " of " + expectedDeadLetters + " dead letters after 30 min");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        long allIn = System.nanoTime();
        deadLettersSeen = published;
        return new double[] {corpus.size() / ((lastGood - t0) / 1e9), (allIn - t0) / 1e9};
    }

    private void close() throws InterruptedException {
        results.close();
        producer.close();
        deadLetterOffsets.close();
    }

    private static String render(
            int good,
            int perGood,
            int passes,
            double[] clean,
            double[] flood,
            double[] floodAll,
            Map<String, String> settings,
            MachineInfo machine,
            String loadAfter) {
        double ratio = Stats.median(flood) / Stats.median(clean);
        StringBuilder md = new StringBuilder();
        md.append(String.format(
                Locale.ROOT,
                "Machine: %d cores, %s, %s, ONNX Runtime %s, load average at start %s, "
                        + "at the end %s. One worker process (-Xmx512m), default settings but the job tracker off%s; "
                        + "4 partitions.%n%n",
                machine.cores(),
                machine.cpuModel(),
                machine.jvm(),
                machine.onnxRuntime(),
                machine.loadAverage(),
                loadAfter,
                settings.keySet().stream().anyMatch(k -> !k.startsWith("jobs.")) ? " and " + settings : ""));
        md.append(String.format(
                Locale.ROOT,
                "%d good one-sentence requests per pass (the bench corpus, 5-60 words "
                        + "each); a flood pass puts %d records with distinct unknown schema ids before each (%,d per pass). "
                        + "%d alternating passes:%n%n",
                good,
                perGood,
                good * perGood,
                passes));
        md.append("| pass | clean, good/s | flood, good/s | flood / clean | flood: last dead letter after |\n"
                + "|---|---:|---:|---:|---:|\n");
        for (int p = 0; p < passes; p++) {
            md.append(String.format(
                    Locale.ROOT,
                    "| %d | %.1f | %.1f | %.3f | %.1f s |%n",
                    p + 1,
                    clean[p],
                    flood[p],
                    flood[p] / clean[p],
                    floodAll[p]));
        }
        md.append(String.format(
                Locale.ROOT,
                "%n- Good throughput under the flood / clean: **%.3f** (ratio of "
                        + "medians). Goal: at least 0.5 — %s.%n",
                ratio,
                ratio >= 0.5 ? "met" : "missed"));
        return md.toString();
    }
}

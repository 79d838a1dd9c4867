package io.modelpool.bench;

import static io.modelpool.bench.Stats.median;

import com.benjaminwan.ocrlibrary.OcrResult;
import com.benjaminwan.ocrlibrary.TextBlock;
import io.github.mymonstercat.Model;
import io.github.mymonstercat.ocr.InferenceEngine;
import io.github.mymonstercat.ocr.config.HardwareConfig;
import io.github.mymonstercat.ocr.config.ParamConfig;
import io.modelpool.devstack.DevStack;
import io.modelpool.devstack.DevStackOptions;
import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.Capability;
import io.modelpool.v1.ImageInput;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextLine;
import io.modelpool.v1.VisionRequest;
import io.modelpool.v1.VisionResult;
import io.modelpool.worker.Worker;
import io.modelpool.worker.capability.CapabilityRegistry;
import io.modelpool.worker.capability.CapabilityService;
import io.modelpool.worker.capability.PoolGroup;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.kafka.IntakeListener;
import io.modelpool.worker.manifest.ManifestLoader;
import io.modelpool.worker.pool.ModelState;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Vision (issue 26): how well and how fast modelpool's {@code pp-ocr} family reads pages rendered by ImageMagick
 * ({@link VisionPages}), against RapidOCR-Java ({@code io.github.mymonstercat:rapidocr}, native RapidOCR on the
 * same PP-OCRv4 ONNX models, its default parameters) on the same files in the same run.
 *
 * <p>Accuracy: each page is read once by modelpool's vision service (pool alone), once through Kafka (an
 * ephemeral devstack and one {@code Worker.start} on the manifest) and once by RapidOCR; each output's lines are
 * joined with spaces and compared with the lines drawn ({@link TextErrors}). Throughput: per pass, all pages
 * through each of the three (submit all and await all for the pool, produce all and read all results for
 * Kafka, one page after another for RapidOCR, whose native engine is one instance), the order rotating between
 * passes; pages per second is pages over the pass's wall time. Both sides use 2 threads: the manifest's session
 * {@code intra-op-threads} (2 in the shipped manifest, one pool worker) and RapidOCR's {@code numThread} 2.
 */
@Command(
        name = "vision-bench",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "OCR accuracy (CER) and pages per second, modelpool against RapidOCR-Java.")
public final class VisionBench implements Callable<Integer> {

    private static final String PREFIX = "vbench";
    private static final String MODEL = "pp-ocrv4";
    private static final RequestContext CONTEXT = new RequestContext("vision-bench", 0);

    @Option(names = "--pages", defaultValue = "48", description = "Pages rendered (default: ${DEFAULT-VALUE}).")
    int pages;

    @Option(names = "--seed", defaultValue = "26", description = "Seed of the pages (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--dir",
            defaultValue = "bench/target/vision-pages",
            description = "Where the pages, their texts and report.txt go (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(
            names = "--manifest",
            defaultValue = "classpath:modelpool/images.yaml",
            description = "The worker manifest; model " + MODEL + " is read (default: ${DEFAULT-VALUE}).")
    String manifest;

    @Option(names = "--passes", defaultValue = "3", description = "Throughput passes (default: ${DEFAULT-VALUE}).")
    int passes;

    @Option(
            names = "--rapidocr-threads",
            defaultValue = "2",
            description = "RapidOCR's numThread (default: ${DEFAULT-VALUE}).")
    int rapidThreads;

    @Option(names = "--accuracy-only", description = "Pool alone and RapidOCR, accuracy only: no Kafka, no passes.")
    boolean accuracyOnly;

    @Option(names = "--skip-rapidocr", description = "With --accuracy-only: modelpool alone.")
    boolean skipRapid;

    public static void main(String[] args) {
        System.exit(new CommandLine(new VisionBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (pages < 1 || pages > 1000 || passes < 1 || rapidThreads < 1) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this), "--pages must be 1..1000, --passes and --rapidocr-threads at least 1");
        }
        if (!VisionPages.available()) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this),
                    "ImageMagick's convert is not installed (Debian: apt-get install imagemagick)");
        }
        String load = MachineInfo.currentLoadAverage();
        List<VisionPages.Page> corpus = VisionPages.render(pages, seed, dir);
        List<byte[]> images = new ArrayList<>();
        for (VisionPages.Page p : corpus) {
            images.add(Files.readAllBytes(p.file()));
        }
        InferenceEngine rapid = accuracyOnly && skipRapid
                ? null
                : InferenceEngine.getInstance(Model.ONNX_PPOCR_V4, new HardwareConfig(rapidThreads, -1));
        ParamConfig rapidParams = ParamConfig.getDefaultConfig();
        Map<String, List<List<String>>> reads = new LinkedHashMap<>();
        Map<String, double[]> rates = new LinkedHashMap<>();
        if (accuracyOnly) {
            try (PoolGroup registry = CapabilityRegistry.fromManifest(ManifestLoader.load(manifest))) {
                registry.awaitLoaded(Duration.ofMinutes(2));
                CapabilityService service = registry.service(Capability.VISION);
                reads.put("modelpool, pool alone", pool(service, images, "a").reads);
            }
            if (!skipRapid) {
                reads.put("RapidOCR-Java", rapid(rapid, rapidParams, corpus).reads);
            }
        } else {
            try (DevStack stack = DevStack.start(DevStackOptions.ephemeral().withDefaultPartitions(2))) {
                Worker worker = Worker.start(WorkerConfig.of(settings(stack)), IntakeListener.NONE);
                try {
                    Map<String, ModelState> states = worker.capabilities().awaitLoaded(Duration.ofMinutes(2));
                    if (states.values().stream().anyMatch(s -> s != ModelState.READY)) {
                        throw new IllegalStateException("models did not load: " + states);
                    }
                    measure(worker, stack, images, corpus, rapid, rapidParams, reads, rates);
                } finally {
                    worker.beginShutdown();
                    worker.awaitShutdown();
                }
            }
        }
        report(corpus, reads, rates, load);
        return 0;
    }

    private Map<String, String> settings(DevStack stack) {
        Map<String, String> settings = new HashMap<>();
        settings.put(WorkerConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers());
        settings.put(WorkerConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
        settings.put(WorkerConfig.TOPIC_PREFIX, PREFIX);
        settings.put(WorkerConfig.CREATE_TOPICS, "true");
        settings.put(WorkerConfig.TOPIC_PARTITIONS, "2");
        settings.put(WorkerConfig.WORKER_ID, "vision-bench-worker");
        settings.put(WorkerConfig.MANIFEST, manifest);
        settings.put(WorkerConfig.JOBS_TRACKER_ENABLED, "false");
        return settings;
    }

    private void measure(
            Worker worker,
            DevStack stack,
            List<byte[]> images,
            List<VisionPages.Page> corpus,
            InferenceEngine rapid,
            ParamConfig rapidParams,
            Map<String, List<List<String>>> reads,
            Map<String, double[]> rates)
            throws Exception {
        CapabilityService service = worker.capabilities().service(Capability.VISION);
        Map<String, Object> registry = Map.of("schema.registry.url", stack.schemaRegistryUrl());
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 << 20);
        try (KafkaProducer<String, VisionRequest> producer = new KafkaProducer<>(
                        p,
                        new StringSerializer(),
                        ConfluentAvroSerde.specificSerializer(VisionRequest.class, registry, false));
                Results results =
                        new Results(stack.bootstrapServers(), registry, Topics.results(PREFIX, Capability.VISION))) {
            reads.put("modelpool, pool alone", pool(service, images, "w").reads);
            reads.put("modelpool through Kafka", kafka(producer, results, images, "w").reads);
            reads.put("RapidOCR-Java", rapid(rapid, rapidParams, corpus).reads);
            double[] poolRates = new double[passes];
            double[] kafkaRates = new double[passes];
            double[] rapidRates = new double[passes];
            for (int pass = 0; pass < passes; pass++) {
                for (int k = 0; k < 3; k++) {
                    switch ((pass + k) % 3) {
                        case 0 -> poolRates[pass] = pool(service, images, "p" + pass).rate;
                        case 1 -> kafkaRates[pass] = kafka(producer, results, images, "k" + pass).rate;
                        default -> rapidRates[pass] = rapid(rapid, rapidParams, corpus).rate;
                    }
                }
            }
            rates.put("modelpool, pool alone", poolRates);
            rates.put("modelpool through Kafka", kafkaRates);
            rates.put("RapidOCR-Java", rapidRates);
        }
    }

    /** What one pipeline read from every page, and how fast. */
    private record Run(List<List<String>> reads, double rate) {}

    private static Run pool(CapabilityService service, List<byte[]> images, String pass) throws Exception {
        long start = System.nanoTime();
        List<CompletableFuture<?>> futures = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            futures.add(service.handle(request(pass + "-" + i, images.get(i)), CONTEXT));
        }
        List<List<String>> reads = new ArrayList<>();
        for (CompletableFuture<?> f : futures) {
            while (!f.isDone()) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            reads.add(lines((VisionResult) f.get()));
        }
        return new Run(reads, images.size() * 1e9 / (System.nanoTime() - start));
    }

    private static Run kafka(
            KafkaProducer<String, VisionRequest> producer, Results results, List<byte[]> images, String pass) {
        List<String> ids = new ArrayList<>(images.size());
        long start = System.nanoTime();
        for (int i = 0; i < images.size(); i++) {
            String id = pass + "-" + i;
            ids.add(id);
            producer.send(
                    new ProducerRecord<>(Topics.requests(PREFIX, Capability.VISION), id, request(id, images.get(i))));
        }
        producer.flush();
        long last = 0;
        List<List<String>> reads = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        for (String id : ids) {
            Results.Arrival a;
            while ((a = results.arrivals.get(id)) == null) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no result for " + id + " within 10 minutes");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            last = Math.max(last, a.nanos);
            reads.add(lines(a.result));
        }
        return new Run(reads, images.size() * 1e9 / (last - start));
    }

    private static Run rapid(InferenceEngine engine, ParamConfig params, List<VisionPages.Page> corpus) {
        long start = System.nanoTime();
        List<List<String>> reads = new ArrayList<>();
        for (VisionPages.Page page : corpus) {
            OcrResult result = engine.runOcr(page.file().toAbsolutePath().toString(), params);
            List<String> lines = new ArrayList<>();
            for (TextBlock block : result.getTextBlocks()) {
                lines.add(block.getText());
            }
            reads.add(lines);
        }
        return new Run(reads, corpus.size() * 1e9 / (System.nanoTime() - start));
    }

    private static VisionRequest request(String id, byte[] image) {
        String type = image[0] == (byte) 0x89 ? "image/png" : "image/jpeg";
        return VisionRequest.newBuilder()
                .setId(id)
                .setModel(MODEL)
                .setImage(new ImageInput(ByteBuffer.wrap(image), type))
                .build();
    }

    private static List<String> lines(VisionResult result) {
        if (result.getStatus() != ResultStatus.OK) {
            throw new IllegalStateException("request " + result.getRequestId() + " failed: " + result.getError());
        }
        return result.getPayload().getLines().stream().map(TextLine::getText).toList();
    }

    private void report(
            List<VisionPages.Page> corpus,
            Map<String, List<List<String>>> reads,
            Map<String, double[]> rates,
            String load)
            throws Exception {
        long chars = 0;
        int lineCount = 0;
        for (VisionPages.Page page : corpus) {
            chars += String.join(" ", page.lines()).length();
            lineCount += page.lines().size();
        }
        StringBuilder out = new StringBuilder();
        out.append(String.format(
                Locale.ROOT,
                "VisionBench: %d pages (seed %d, %s), %d lines, %d characters; "
                        + "manifest %s; RapidOCR numThread %d; load average before %s, after %s; %d cores%n",
                corpus.size(),
                seed,
                dir,
                lineCount,
                chars,
                manifest,
                rapidThreads,
                load,
                MachineInfo.currentLoadAverage(),
                Runtime.getRuntime().availableProcessors()));
        out.append("| pipeline | CER | CER ignoring spaces | lines missed | pages/s (median of passes) |\n");
        out.append("|---|---|---|---|---|\n");
        for (Map.Entry<String, List<List<String>>> e : reads.entrySet()) {
            TextErrors.Count total = TextErrors.Count.ZERO;
            for (int i = 0; i < corpus.size(); i++) {
                total = total.plus(
                        TextErrors.of(e.getValue().get(i), corpus.get(i).lines()));
            }
            double[] r = rates.get(e.getKey());
            out.append(String.format(
                    Locale.ROOT,
                    "| %s | %.4f | %.4f | %d of %d | %s |%n",
                    e.getKey(),
                    total.cer(),
                    total.cerNoSpaces(),
                    total.linesMissed(),
                    total.lines(),
                    r == null ? "-" : String.format(Locale.ROOT, "%.3f (%s)", median(r), join(r))));
        }
        if (rates.containsKey("RapidOCR-Java")) {
            out.append(String.format(
                    Locale.ROOT,
                    "through Kafka / RapidOCR-Java pages/s = %.3f%n",
                    median(rates.get("modelpool through Kafka")) / median(rates.get("RapidOCR-Java"))));
        }
        System.out.print(out);
        StringBuilder details = new StringBuilder(out).append('\n');
        for (int i = 0; i < corpus.size(); i++) {
            VisionPages.Page page = corpus.get(i);
            details.append(String.format(
                    Locale.ROOT,
                    "== %s: %s%n   drawn: %s%n",
                    page.file().getFileName(),
                    page.description(),
                    String.join(" | ", page.lines())));
            for (Map.Entry<String, List<List<String>>> e : reads.entrySet()) {
                TextErrors.Count c = TextErrors.of(e.getValue().get(i), page.lines());
                details.append(String.format(
                        Locale.ROOT,
                        "   %s (CER %.3f, missed %d): %s%n",
                        e.getKey(),
                        c.cer(),
                        c.linesMissed(),
                        String.join(" | ", e.getValue().get(i))));
            }
        }
        Files.writeString(dir.resolve("report.txt"), details, StandardCharsets.UTF_8);
    }

    private static String join(double[] values) {
        List<String> parts = new ArrayList<>();
        for (double v : values) {
            parts.add(String.format(Locale.ROOT, "%.3f", v));
        }
        return String.join(" ", parts);
    }

    /** Reads vision results from the topic's end and keeps each with the time it was read. */
    private static final class Results implements AutoCloseable {

        record Arrival(VisionResult result, long nanos) {}

        final Map<String, Arrival> arrivals = new ConcurrentHashMap<>();
        private final AtomicBoolean reading = new AtomicBoolean(true);
        private final Thread thread;

        Results(String bootstrap, Map<String, Object> registry, String topic) {
            Map<String, Object> c = new HashMap<>();
            c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            KafkaConsumer<String, VisionResult> consumer = new KafkaConsumer<>(
                    c,
                    new StringDeserializer(),
                    ConfluentAvroSerde.specificDeserializer(VisionResult.class, registry, false));
            List<TopicPartition> parts = new ArrayList<>();
            consumer.partitionsFor(topic).forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
            consumer.assign(parts);
            consumer.seekToEnd(parts);
            parts.forEach(consumer::position);
            thread = new Thread(
                    () -> {
                        try (consumer) {
                            while (reading.get()) {
                                consumer.poll(Duration.ofMillis(100))
                                        .forEach(r -> arrivals.put(r.key(), new Arrival(r.value(), System.nanoTime())));
                            }
                        }
                    },
                    "vision-bench-result-reader");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            reading.set(false);
            thread.join(5000);
        }
    }
}

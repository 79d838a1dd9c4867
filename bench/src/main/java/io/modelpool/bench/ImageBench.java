package io.modelpool.bench;

import static io.modelpool.bench.Stats.median;

import io.modelpool.devstack.DevStack;
import io.modelpool.devstack.DevStackOptions;
import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.Capability;
import io.modelpool.v1.ImageEmbeddingRequest;
import io.modelpool.v1.ImageEmbeddingResult;
import io.modelpool.v1.ImageInput;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.VisionRequest;
import io.modelpool.v1.VisionResult;
import io.modelpool.worker.Worker;
import io.modelpool.worker.capability.CapabilityService;
import io.modelpool.worker.capability.Outcome;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.kafka.IntakeListener;
import io.modelpool.worker.pool.ModelState;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiFunction;
import javax.imageio.ImageIO;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Images per second (issue 9) for OCR (the {@code pp-ocr} family on the real PP-OCRv4 models) and for image
 * embedding (the {@code image-encoder} family on PP-OCR's orientation classifier, the one real image encoder the
 * registries here ship), each pool-only and through Kafka, in one JVM: an ephemeral devstack (in-process broker
 * and schema registry), one worker ({@code Worker.start} on a manifest written here) and a client.
 *
 * <p>Inputs: 640 x 640 PNG pages of black text (ten lines of seeded words and numbers, Java2D fonts). Per pass
 * and capability, <em>pool-only</em> hands every request to the worker's own service (submit all, await all)
 * and <em>through-kafka</em> produces one request per image to the capability's request topic and times from
 * the first send to the last result read back; the order of the two alternates between passes. Images per
 * second is images over the pass's wall time; the ratio is through-kafka over pool-only of the medians.
 */
@Command(
        name = "image-bench",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "OCR and image embedding, images per second, pool-only versus through Kafka.")
public final class ImageBench implements Callable<Integer> {

    private static final String PREFIX = "bench";
    private static final RequestContext CONTEXT = new RequestContext("image-bench", 0);

    @Option(names = "--pages", defaultValue = "16", description = "OCR pages per pass (default: ${DEFAULT-VALUE}).")
    int pages;

    @Option(
            names = "--images",
            defaultValue = "200",
            description = "Images embedded per pass (default: ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--passes", defaultValue = "3", description = "Measured passes (default: ${DEFAULT-VALUE}).")
    int passes;

    @Option(
            names = "--ocr-workers",
            defaultValue = "1",
            description = "OCR workers, each with its own three sessions (default: ${DEFAULT-VALUE}).")
    int ocrWorkers;

    @Option(
            names = "--ocr-threads",
            defaultValue = "2",
            description = "intra-op threads per OCR session (default: ${DEFAULT-VALUE}).")
    int ocrThreads;

    @Option(
            names = "--ocr-batch",
            defaultValue = "4",
            description = "Pages per OCR batch, batch.max-items (default: ${DEFAULT-VALUE}).")
    int ocrBatch;

    @Option(
            names = "--embed-workers",
            defaultValue = "2",
            description = "Image-encoder workers (default: ${DEFAULT-VALUE}).")
    int embedWorkers;

    @Option(
            names = "--embed-batch",
            defaultValue = "8",
            description = "Images per encoder batch, batch.max-items (default: ${DEFAULT-VALUE}).")
    int embedBatch;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ImageBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (pages < 1
                || images < 1
                || passes < 1
                || ocrWorkers < 1
                || ocrThreads < 1
                || ocrBatch < 1
                || embedWorkers < 1
                || embedBatch < 1
                || Math.max(pages, images) > 4096) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this), "every count must be >= 1, and --pages and --images at most 4096");
        }
        List<byte[]> corpus = pages(Math.max(pages, Math.min(images, 32)), 7L);
        String load = MachineInfo.currentLoadAverage();
        Path manifest = Files.createTempFile("image-bench", ".yaml");
        Files.writeString(manifest, manifest());
        try (DevStack stack = DevStack.start(DevStackOptions.ephemeral().withDefaultPartitions(2))) {
            Map<String, String> settings = new HashMap<>();
            settings.put(WorkerConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers());
            settings.put(WorkerConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
            settings.put(WorkerConfig.TOPIC_PREFIX, PREFIX);
            settings.put(WorkerConfig.CREATE_TOPICS, "true");
            settings.put(WorkerConfig.TOPIC_PARTITIONS, "2");
            settings.put(WorkerConfig.WORKER_ID, "image-bench-worker");
            settings.put(WorkerConfig.MANIFEST, "file:" + manifest);
            settings.put(WorkerConfig.JOBS_TRACKER_ENABLED, "false");
            Worker worker = Worker.start(WorkerConfig.of(settings), IntakeListener.NONE);
            try {
                Map<String, ModelState> states = worker.capabilities().awaitLoaded(Duration.ofMinutes(2));
                if (states.values().stream().anyMatch(s -> s != ModelState.READY)) {
                    throw new IllegalStateException("models did not load: " + states);
                }
                Map<String, Object> registry = Map.of("schema.registry.url", stack.schemaRegistryUrl());
                System.out.printf(
                        Locale.ROOT,
                        "ImageBench: %d OCR pages and %d images per pass, %d passes, "
                                + "640x640 PNG pages, load average %s, %s%n",
                        pages,
                        images,
                        passes,
                        load,
                        Runtime.getRuntime().availableProcessors() + " cores");
                Side ocr = new Side(
                        "ocr (pp-ocrv4)",
                        Capability.VISION,
                        VisionRequest.class,
                        VisionResult.class,
                        (id, png) -> VisionRequest.newBuilder()
                                .setId(id)
                                .setModel("pp-ocrv4")
                                .setImage(new ImageInput(ByteBuffer.wrap(png), "image/png"))
                                .build(),
                        cycle(corpus, pages));
                Side embed = new Side(
                        "image embedding (pp-orientation)",
                        Capability.IMAGE_EMBEDDING,
                        ImageEmbeddingRequest.class,
                        ImageEmbeddingResult.class,
                        (id, png) -> ImageEmbeddingRequest.newBuilder()
                                .setId(id)
                                .setModel("pp-orientation")
                                .setImage(new ImageInput(ByteBuffer.wrap(png), "image/png"))
                                .build(),
                        cycle(corpus, images));
                for (Side side : List.of(ocr, embed)) {
                    side.run(worker, stack.bootstrapServers(), registry, passes);
                }
            } finally {
                worker.beginShutdown();
                worker.awaitShutdown();
            }
        } finally {
            Files.deleteIfExists(manifest);
        }
        return 0;
    }

    /** One capability's requests, both ways. */
    private record Side(
            String name,
            Capability capability,
            Class<? extends SpecificRecord> requestType,
            Class<? extends SpecificRecord> resultType,
            BiFunction<String, byte[], SpecificRecord> request,
            List<byte[]> inputs) {

        void run(Worker worker, String bootstrap, Map<String, Object> registry, int passes) throws Exception {
            CapabilityService service = worker.capabilities().service(capability);
            Map<String, Object> p = new HashMap<>();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
            @SuppressWarnings("unchecked")
            Class<SpecificRecord> type = (Class<SpecificRecord>) requestType;
            try (KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(
                            p, new StringSerializer(), ConfluentAvroSerde.specificSerializer(type, registry, false));
                    ResultArrivals reader = new ResultArrivals(
                            bootstrap, registry, Topics.results(PREFIX, capability), false, resultType)) {
                pool(service, "warm");
                kafka(producer, reader, "warm");
                double[] poolRates = new double[passes];
                double[] kafkaRates = new double[passes];
                for (int pass = 0; pass < passes; pass++) {
                    if (pass % 2 == 0) {
                        poolRates[pass] = pool(service, "p" + pass);
                        kafkaRates[pass] = kafka(producer, reader, "k" + pass);
                    } else {
                        kafkaRates[pass] = kafka(producer, reader, "k" + pass);
                        poolRates[pass] = pool(service, "p" + pass);
                    }
                }
                System.out.printf(Locale.ROOT, "%s: %d images per pass%n", name, inputs.size());
                System.out.printf(
                        Locale.ROOT,
                        "  pool-only      images/s median %.2f, per pass %s%n",
                        median(poolRates),
                        rates(poolRates));
                System.out.printf(
                        Locale.ROOT,
                        "  through-kafka  images/s median %.2f, per pass %s%n",
                        median(kafkaRates),
                        rates(kafkaRates));
                System.out.printf(
                        Locale.ROOT, "  through-kafka / pool-only = %.3f%n", median(kafkaRates) / median(poolRates));
            }
        }

        private double pool(CapabilityService service, String pass) throws Exception {
            long start = System.nanoTime();
            List<CompletableFuture<Outcome>> futures = new ArrayList<>(inputs.size());
            for (int i = 0; i < inputs.size(); i++) {
                futures.add(service.handle(request.apply(pass + "-" + i, inputs.get(i)), CONTEXT));
            }
            for (CompletableFuture<Outcome> f : futures) {
                // wait as ResultArrivals.awaitAll does, waking every millisecond: on this VM a process whose
                // other threads all sleep in a blocking get() ran its inference 2 to 4 times slower
                while (!f.isDone()) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                }
                SpecificRecord r = f.get(10, TimeUnit.MINUTES).record();
                if (r.get(r.getSchema().getField("status").pos()) != ResultStatus.OK) {
                    throw new IllegalStateException("pool-only request failed: " + r);
                }
            }
            return inputs.size() * 1e9 / (System.nanoTime() - start);
        }

        private double kafka(KafkaProducer<String, SpecificRecord> producer, ResultArrivals reader, String pass) {
            List<String> ids = new ArrayList<>(inputs.size());
            long start = System.nanoTime();
            for (int i = 0; i < inputs.size(); i++) {
                String id = pass + "-" + i;
                ids.add(id);
                producer.send(new ProducerRecord<>(
                        Topics.requests(PREFIX, capability), id, request.apply(id, inputs.get(i))));
            }
            producer.flush();
            long last = reader.awaitAll(ids, Duration.ofMinutes(10));
            return inputs.size() * 1e9 / (last - start);
        }
    }

    private static String rates(double[] rates) {
        List<String> parts = new ArrayList<>();
        for (double r : rates) {
            parts.add(String.format(Locale.ROOT, "%.2f", r));
        }
        return String.join(" ", parts);
    }

    private static List<byte[]> cycle(List<byte[]> corpus, int n) {
        List<byte[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(corpus.get(i % corpus.size()));
        }
        return out;
    }

    /** {@code n} 640 x 640 PNG pages of ten lines each, drawn from {@code seed}. */
    static List<byte[]> pages(int n, long seed) throws Exception {
        String[] words = ("invoice total order receipt kafka worker model pool batch offset commit vision "
                        + "report account balance payment shipping 2024 07 15 42 1,234.56 #98765 VAT 19%")
                .split(" ");
        String[] fonts = {Font.SANS_SERIF, Font.SERIF, Font.MONOSPACED};
        SplittableRandom random = new SplittableRandom(seed);
        List<byte[]> out = new ArrayList<>(n);
        for (int p = 0; p < n; p++) {
            BufferedImage image = new BufferedImage(640, 640, BufferedImage.TYPE_3BYTE_BGR);
            Graphics2D g = image.createGraphics();
            try {
                g.setColor(Color.WHITE);
                g.fillRect(0, 0, 640, 640);
                g.setColor(Color.BLACK);
                g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
                for (int line = 0; line < 10; line++) {
                    StringBuilder text = new StringBuilder();
                    for (int w = 0, count = 2 + random.nextInt(4); w < count; w++) {
                        text.append(w == 0 ? "" : " ").append(words[random.nextInt(words.length)]);
                    }
                    g.setFont(new Font(fonts[random.nextInt(fonts.length)], Font.PLAIN, 20 + random.nextInt(12)));
                    g.drawString(text.toString(), 20 + random.nextInt(60), 50 + line * 60);
                }
            } finally {
                g.dispose();
            }
            ByteArrayOutputStream png = new ByteArrayOutputStream();
            ImageIO.write(image, "png", png);
            out.add(png.toByteArray());
        }
        return out;
    }

    private String manifest() {
        return """
                limits:
                  max-inputs-per-request: 16
                  max-input-bytes: 4096
                models:
                  - key: pp-ocrv4
                    capability: vision
                    family: pp-ocr
                    source: classpath:models/ch_PP-OCRv4_det_infer.onnx
                    batch-invariant: false
                    parameters:
                      recognizer: classpath:models/ch_PP-OCRv4_rec_infer.onnx
                      classifier: classpath:models/ch_ppocr_mobile_v2.0_cls_infer.onnx
                      keys: classpath:models/ppocr_keys_v1.txt
                    batch: {max-items: %d, max-delay: 5ms, queue-capacity: 4096}
                    workers: %d
                    session: {intra-op-threads: %d, inter-op-threads: 1}
                  - key: pp-orientation
                    capability: image-embedding
                    family: image-encoder
                    source: classpath:models/ch_ppocr_mobile_v2.0_cls_infer.onnx
                    batch-invariant: false
                    parameters:
                      width: 192
                      height: 48
                      resize: stretch
                      mean: [0.5, 0.5, 0.5]
                      std: [0.5, 0.5, 0.5]
                      channel-order: bgr
                      output: save_infer_model/scale_0.tmp_1
                    batch: {max-items: %d, max-delay: 2ms, queue-capacity: 4096}
                    workers: %d
                    session: {intra-op-threads: 1, inter-op-threads: 1}
                """.formatted(ocrBatch, ocrWorkers, ocrThreads, embedBatch, embedWorkers);
    }
}

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
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Issue 7's scrape-overhead bench: does a Prometheus scrape of {@code /metrics} slow the worker down?
 *
 * <p>One worker with its HTTP endpoints on, on an in-process devstack, text embedding through Kafka. Passes of the
 * same sentences alternate between {@code quiet} (nobody scrapes) and {@code scraped} (a client thread GETs
 * {@code /metrics} every {@code --scrape-every-ms} for the whole pass, reading the full body), in the order quiet,
 * scraped, scraped, quiet, ... so both see the same drift in background load. Throughput of a pass is its sentences
 * divided by the time from the first send to the last result read. The default, 100 ms, is 50 to 300 times denser
 * than usual scrape intervals (5 s to 30 s), so what it costs bounds what a real scrape costs; 1000 ms is still 15
 * times denser than Prometheus' 15 s default.
 *
 * <p>Run: {@code java -cp <bench classpath> io.modelpool.bench.ScrapeBench [--passes 6] [--sentences 3000]
 * [--scrape-every-ms 100] [--no-report]}; the report goes to the docs/benchmarks.md section named after the
 * interval.
 */
public final class ScrapeBench {

    private static final String MODEL = "all-minilm-l6-v2-q";
    private static final String PREFIX = "scrape";
    /** The worker's HTTP server: its dispatcher and its two handler threads. */
    private static final String[] SERVER_THREADS = {"modelpool-http-", "HTTP-Dispatcher"};
    /** The bench's scraping client: the JDK HttpClient's selector and executor threads (plus the scraper's own). */
    private static final String[] CLIENT_THREADS = {"HttpClient-"};

    private final KafkaProducer<String, TextEmbeddingRequest> producer;
    private final String requestTopic;
    /** Read time of each request's result, by request id, filled by the {@link ResultArrivals} reader. */
    private Map<String, Long> arrivals;

    private ResultArrivals reader;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI metrics;
    private final Duration scrapeEvery;
    private long sequence;

    private ScrapeBench(
            KafkaProducer<String, TextEmbeddingRequest> producer,
            String requestTopic,
            URI metrics,
            Duration scrapeEvery) {
        this.scrapeEvery = scrapeEvery;
        this.producer = producer;
        this.requestTopic = requestTopic;
        this.metrics = metrics;
    }

    /** What one scraped pass saw from the scraper's side. */
    private record ScrapeStats(
            int scrapes, long[] nanos, int lastBodyBytes, long serverCpuNanos, long clientCpuNanos) {}

    /** CPU time of live threads whose name starts with one of {@code prefixes}. */
    private static long threadCpu(String... prefixes) {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (java.lang.management.ThreadInfo info : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            for (String p : prefixes) {
                if (info.getThreadName().startsWith(p)) {
                    sum += Math.max(0, mx.getThreadCpuTime(info.getThreadId()));
                    break;
                }
            }
        }
        return sum;
    }

    public static void main(String[] args) throws Exception {
        int passes = intArg(args, "--passes", 6);
        int sentences = intArg(args, "--sentences", 3000);
        Duration scrapeEvery = Duration.ofMillis(intArg(args, "--scrape-every-ms", 100));
        boolean report = !Arrays.asList(args).contains("--no-report");
        List<String> corpus = Corpus.generate(sentences, Corpus.DEFAULT_SEED);
        String loadBefore = MachineInfo.currentLoadAverage();

        try (DevStack stack = DevStack.start(DevStackOptions.ephemeral().withDefaultPartitions(4))) {
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Map<String, String> settings = new HashMap<>();
            settings.put(WorkerConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers());
            settings.put(WorkerConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
            settings.put(WorkerConfig.TOPIC_PREFIX, PREFIX);
            settings.put(WorkerConfig.CREATE_TOPICS, "true");
            settings.put(WorkerConfig.TOPIC_PARTITIONS, "4");
            settings.put(WorkerConfig.WORKER_ID, "scrape-bench-worker");
            settings.put(WorkerConfig.JOBS_TRACKER_ENABLED, "false");
            settings.put(WorkerConfig.HTTP_PORT, Integer.toString(port));
            settings.put(WorkerConfig.HTTP_BIND_ADDRESS, "127.0.0.1");
            Worker worker = Worker.start(WorkerConfig.of(settings), IntakeListener.NONE);
            worker.capabilities().awaitLoaded(Duration.ofMinutes(2));
            Map<String, Object> registry = Map.of("schema.registry.url", stack.schemaRegistryUrl());
            Map<String, Object> p = new HashMap<>();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
            KafkaProducer<String, TextEmbeddingRequest> producer = new KafkaProducer<>(
                    p,
                    new StringSerializer(),
                    ConfluentAvroSerde.specificSerializer(TextEmbeddingRequest.class, registry, false));
            ScrapeBench bench = new ScrapeBench(
                    producer,
                    Topics.requests(PREFIX, Capability.TEXT_EMBEDDING),
                    URI.create("http://127.0.0.1:" + port + "/metrics"),
                    scrapeEvery);
            ResultArrivals reader = new ResultArrivals(
                    stack.bootstrapServers(), registry, Topics.results(PREFIX, Capability.TEXT_EMBEDDING));
            bench.arrivals = reader.arrivals;
            bench.reader = reader;
            try {
                System.out.printf(
                        Locale.ROOT,
                        "ScrapeBench: %d sentences, %d passes each, load average %s%n",
                        corpus.size(),
                        passes,
                        loadBefore);
                bench.pass(corpus); // warm-up: JIT, schema ids, every partition's first fetch
                double[] quiet = new double[passes];
                double[] scraped = new double[passes];
                List<ScrapeStats> stats = new ArrayList<>();
                for (int i = 0; i < passes; i++) {
                    boolean scrapedFirst = i % 2 == 1;
                    if (scrapedFirst) {
                        scraped[i] = bench.scrapedPass(corpus, stats);
                        quiet[i] = bench.pass(corpus);
                    } else {
                        quiet[i] = bench.pass(corpus);
                        scraped[i] = bench.scrapedPass(corpus, stats);
                    }
                    System.out.printf(
                            Locale.ROOT,
                            "pass %d: quiet %.1f/s, scraped every %d ms %.1f/s (%.3f)%n",
                            i + 1,
                            quiet[i],
                            scrapeEvery.toMillis(),
                            scraped[i],
                            scraped[i] / quiet[i]);
                }
                String markdown = render(
                        corpus.size(),
                        passes,
                        scrapeEvery,
                        quiet,
                        scraped,
                        stats,
                        loadBefore,
                        MachineInfo.currentLoadAverage(),
                        MachineInfo.current(loadBefore));
                System.out.println(markdown);
                if (report) {
                    ReportFile.replaceSection(
                            Path.of("docs", "benchmarks.md"),
                            "metrics-scrape-overhead-" + scrapeEvery.toMillis() + "ms",
                            markdown);
                }
            } finally {
                reader.close();
                producer.close();
                worker.beginShutdown();
                worker.awaitShutdown();
            }
        }
    }

    private double scrapedPass(List<String> corpus, List<ScrapeStats> stats) throws InterruptedException {
        AtomicBoolean scraping = new AtomicBoolean(true);
        long[] nanos = new long[100_000];
        int[] count = {0};
        int[] bodyBytes = {0};
        long[] scraperCpu = {0};
        Thread scraper = new Thread(
                () -> {
                    try {
                        scrapeUntilStopped(scraping, nanos, count, bodyBytes);
                    } finally {
                        scraperCpu[0] = java.lang.management.ManagementFactory.getThreadMXBean()
                                .getCurrentThreadCpuTime();
                    }
                },
                "bench-scraper");
        long serverBefore = threadCpu(SERVER_THREADS);
        long clientBefore = threadCpu(CLIENT_THREADS);
        scraper.start();
        double rate;
        try {
            rate = pass(corpus);
        } finally {
            scraping.set(false);
            scraper.join(15_000);
        }
        stats.add(new ScrapeStats(
                count[0],
                Arrays.copyOf(nanos, count[0]),
                bodyBytes[0],
                threadCpu(SERVER_THREADS) - serverBefore,
                threadCpu(CLIENT_THREADS) - clientBefore + scraperCpu[0]));
        return rate;
    }

    private void scrapeUntilStopped(AtomicBoolean scraping, long[] nanos, int[] count, int[] bodyBytes) {
        HttpRequest request = HttpRequest.newBuilder(metrics)
                .timeout(Duration.ofSeconds(10))
                .GET()
                .build();
        long next = System.nanoTime();
        while (scraping.get() && count[0] < nanos.length) {
            long t0 = System.nanoTime();
            try {
                HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                if (r.statusCode() != 200) {
                    throw new IllegalStateException("/metrics answered " + r.statusCode());
                }
                bodyBytes[0] = r.body().length;
            } catch (IOException e) {
                throw new IllegalStateException("scrape failed", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            nanos[count[0]++] = System.nanoTime() - t0;
            next += scrapeEvery.toNanos();
            LockSupport.parkNanos(Math.max(0, next - System.nanoTime()));
        }
    }

    /** Sentences per second through Kafka, from the first send to the last result read. */
    private double pass(List<String> corpus) {
        System.gc();
        List<String> ids = new ArrayList<>(corpus.size());
        long t0 = System.nanoTime();
        for (String s : corpus) {
            TextEmbeddingRequest r = TextEmbeddingRequest.newBuilder()
                    .setId("s-" + (sequence++))
                    .setJobId("bench")
                    .setModel(MODEL)
                    .setTexts(List.of(s))
                    .setInputType(EmbeddingInputType.DOCUMENT)
                    .build();
            ids.add(r.getId());
            producer.send(new ProducerRecord<>(requestTopic, r.getId(), r));
        }
        producer.flush();
        long last = reader.awaitAll(ids, Duration.ofMinutes(5));
        ids.forEach(arrivals::remove);
        return corpus.size() / ((last - t0) / 1e9);
    }

    private static String render(
            int sentences,
            int passes,
            Duration every,
            double[] quiet,
            double[] scraped,
            List<ScrapeStats> stats,
            String loadBefore,
            String loadAfter,
            MachineInfo machine) {
        double quietMedian = median(quiet);
        double scrapedMedian = median(scraped);
        double[] perPass = new double[passes];
        for (int i = 0; i < passes; i++) {
            perPass[i] = scraped[i] / quiet[i];
        }
        long[] all = stats.stream().flatMapToLong(s -> Arrays.stream(s.nanos())).toArray();
        int scrapes = stats.stream().mapToInt(ScrapeStats::scrapes).sum();
        int body = stats.isEmpty() ? 0 : stats.get(stats.size() - 1).lastBodyBytes();
        StringBuilder md = new StringBuilder();
        md.append(String.format(
                Locale.ROOT,
                "Machine: %d cores, %s, %s, heap %s, ONNX Runtime %s. Load average "
                        + "(1, 5, 15 min) at start %s, at end %s: the machine is shared with other builds, so passes "
                        + "alternate.%n%n",
                machine.cores(),
                machine.cpuModel(),
                machine.jvm(),
                machine.heap(),
                machine.onnxRuntime(),
                loadBefore,
                loadAfter));
        md.append(String.format(
                Locale.ROOT,
                "Throughput through Kafka, %d sentences per pass, %d passes of each " + "(median, min-max):%n%n",
                sentences,
                passes));
        md.append("| passes | sentences/s | min | max |\n|---|---|---|---|\n");
        md.append(String.format(Locale.ROOT, "| quiet | %.1f | %.1f | %.1f |%n", quietMedian, min(quiet), max(quiet)));
        md.append(String.format(
                Locale.ROOT,
                "| scraped every %d ms | %.1f | %.1f | %.1f |%n%n",
                every.toMillis(),
                scrapedMedian,
                min(scraped),
                max(scraped)));
        md.append(String.format(
                Locale.ROOT,
                "- scraped / quiet: **%.3f** (ratio of medians; median of per-pass " + "ratios %.3f).%n",
                scrapedMedian / quietMedian,
                median(perPass)));
        md.append(String.format(
                Locale.ROOT,
                "- %d scrapes in the scraped passes; one scrape (request to last byte, "
                        + "%,d bytes of text) took median %.2f ms, p99 %.2f ms, max %.2f ms.%n",
                scrapes,
                body,
                percentile(all, 50) / 1e6,
                percentile(all, 99) / 1e6,
                percentile(all, 100) / 1e6));
        long serverCpu = stats.stream().mapToLong(ScrapeStats::serverCpuNanos).sum();
        long clientCpu = stats.stream().mapToLong(ScrapeStats::clientCpuNanos).sum();
        md.append(String.format(
                Locale.ROOT,
                "- CPU time per scrape: **%.2f ms in the worker** (its HTTP threads: "
                        + "render and send), %.2f ms in the bench's HTTP client, which shares the worker's 2 cores here "
                        + "but runs in Prometheus in a deployed fleet. At one scrape every %d ms the worker spends %.1f%% of "
                        + "one core on it; at a usual 15 s interval, %.3f%%.%n",
                scrapes == 0 ? 0 : serverCpu / 1e6 / scrapes,
                scrapes == 0 ? 0 : clientCpu / 1e6 / scrapes,
                every.toMillis(),
                scrapes == 0 ? 0 : 100.0 * serverCpu / scrapes / every.toNanos(),
                scrapes == 0
                        ? 0
                        : 100.0 * serverCpu / scrapes / Duration.ofSeconds(15).toNanos()));
        StringBuilder line = new StringBuilder("- Per pass (quiet / scraped):");
        for (int i = 0; i < passes; i++) {
            line.append(String.format(Locale.ROOT, " %.0f/%.0f", quiet[i], scraped[i]));
        }
        md.append(line).append(".\n");
        return md.toString();
    }
}

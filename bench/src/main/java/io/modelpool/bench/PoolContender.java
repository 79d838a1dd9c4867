package io.modelpool.bench;

import io.modelpool.v1.Capability;
import io.modelpool.v1.EmbeddingInputType;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.v1.TextEmbeddingResult;
import io.modelpool.worker.capability.CapabilityRegistry;
import io.modelpool.worker.capability.CapabilityService;
import io.modelpool.worker.capability.Outcome;
import io.modelpool.worker.capability.PoolGroup;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.manifest.BatchSpec;
import io.modelpool.worker.manifest.ManifestLoader;
import io.modelpool.worker.manifest.ModelDefinition;
import io.modelpool.worker.manifest.ModelManifest;
import io.modelpool.worker.pool.ModelState;
import io.modelpool.worker.pool.PoolError;
import io.modelpool.worker.pool.PoolRejectedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Contender (c): the worker's text-embedding capability, driven the way the Kafka intake drives it: one
 * {@link TextEmbeddingRequest} of one text per sentence, {@link CapabilityService#handle} for each (validation
 * and tokenising on the calling thread, inference on the pool's workers), then every result awaited.
 *
 * <p>The model is the worker's shipped manifest entry for MiniLM, unchanged but for the
 * {@code batch-invariant} switch, which the mode sets, so the numbers are those of the shipped settings.
 * Each contender has a registry of its own, so the two modes never share a queue or a session.
 */
final class PoolContender implements Contender {

    /** The manifest's {@code batch-invariant} switch and activation quantisation, as a contender. */
    enum Mode {
        /** The shipped entry as the manifest has it ({@code batch-invariant: true}). */
        INVARIANT(true, null),
        /** {@code batch-invariant: false}: length-sorted micro-batches. */
        THROUGHPUT(false, null),
        /**
         * The int8 file as exported (per-tensor quantisation) with {@code batch-invariant: true}: one text per
         * session run on parallel single-thread sessions, named explicitly; the shipped entry runs the same.
         */
        AS_EXPORTED(true, "as-exported"),
        /**
         * {@code batch-invariant: true} with per-token int8: length-sorted micro-batches within the manifest's
         * {@code batch.*} whose vectors are bitwise those of each text alone.
         */
        PER_TOKEN(true, "per-token");

        private final boolean batchInvariant;
        private final String activationQuantization;

        Mode(boolean batchInvariant, String activationQuantization) {
            this.batchInvariant = batchInvariant;
            this.activationQuantization = activationQuantization;
        }

        String key() {
            return "pool-" + name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        static Mode parse(String text) {
            for (Mode mode : values()) {
                if (mode.name().replace('_', '-').equalsIgnoreCase(text.replace('_', '-'))
                        || mode.key().equalsIgnoreCase(text)) {
                    return mode;
                }
            }
            throw new IllegalArgumentException(
                    "unknown pool mode '" + text + "'; allowed: invariant, throughput, as-exported, per-token");
        }
    }

    static final String MANIFEST = ManifestLoader.DEFAULT_LOCATION;
    static final String MODEL = "all-minilm-l6-v2-q";
    private static final Duration LOAD_TIMEOUT = Duration.ofMinutes(2);
    /** How long one submission may wait for room in the model's queue before the pass fails. */
    private static final long ROOM_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(60);

    private static final RequestContext CONTEXT = new RequestContext("bench", 0);

    private final String key;
    private final ModelDefinition model;
    private final PoolGroup registry;
    private final CapabilityService service;
    private long requestNumber;

    private PoolContender(String key, ModelDefinition model, PoolGroup registry) {
        this.key = key;
        this.model = model;
        this.registry = registry;
        this.service = registry.service(Capability.TEXT_EMBEDDING);
    }

    /** The {@code batch.sort-window} of the shipped MiniLM entry. */
    static int shippedSortWindow() {
        return shippedModel().batch().sortWindow();
    }

    private static ModelDefinition shippedModel() {
        return ManifestLoader.load(MANIFEST)
                .model(MODEL)
                .orElseThrow(() -> new IllegalStateException(MANIFEST + " has no model '" + MODEL + "'"));
    }

    /**
     * Starts a registry serving the shipped MiniLM entry in {@code mode} and waits for it to load.
     *
     * @param sortWindow a {@code batch.sort-window} to use instead of the manifest's, or null for the manifest's;
     *                   a contender with its own sort window has the key {@code pool-throughput-sw<N>}
     */
    static PoolContender create(Mode mode, Integer sortWindow) {
        return create(mode, sortWindow, null);
    }

    /**
     * @param maxTokens the model's {@code max-sequence-length} instead of the manifest's, or null for the
     *                  manifest's (LangChain4j's embedder cuts at 128)
     */
    static PoolContender create(Mode mode, Integer sortWindow, Integer maxTokens) {
        return create(mode, sortWindow, maxTokens, sortWindow == null ? mode.key() : mode.key() + "-sw" + sortWindow);
    }

    /** The same, under the contender key {@code key}. */
    static PoolContender create(Mode mode, Integer sortWindow, Integer maxTokens, String key) {
        ModelManifest shipped = ManifestLoader.load(MANIFEST);
        ModelDefinition model = shippedModel().withBatchInvariant(mode.batchInvariant);
        if (mode.activationQuantization != null) {
            model = model.withParameter("activation-quantization", mode.activationQuantization);
        }
        if (maxTokens != null) {
            model = model.withParameter("max-sequence-length", maxTokens);
        }
        if (sortWindow != null) {
            BatchSpec b = model.batch();
            model = model.withWorkers(
                    model.workers(),
                    new BatchSpec(b.maxItems(), b.maxTokens(), b.maxDelay(), b.queueCapacity(), sortWindow));
        }
        ModelManifest manifest = ManifestLoader.validate(
                new ModelManifest(shipped.limits(), List.of(model)), MANIFEST + " (" + mode.key() + ")");
        PoolGroup registry = CapabilityRegistry.fromManifest(manifest);
        Map<String, ModelState> states = registry.awaitLoaded(LOAD_TIMEOUT);
        if (states.get(MODEL) != ModelState.READY) {
            registry.close();
            throw new IllegalStateException(
                    "model '" + MODEL + "' did not load within " + LOAD_TIMEOUT + ": " + states);
        }
        return new PoolContender(key, model, registry);
    }

    @Override
    public String key() {
        return key;
    }

    @Override
    public String description() {
        BatchSpec b = model.batch();
        boolean perToken = "per-token".equals(model.parameters().get("activation-quantization"));
        String batching = model.batchInvariant() && !perToken
                ? "batch-invariant: one text per run"
                : String.format(
                        Locale.ROOT,
                        "%smicro-batches of up to %d (max-tokens %d, max-delay %s, sort-window %d)",
                        perToken ? "per-token int8, invariant " : "",
                        b.maxItems(),
                        b.maxTokens(),
                        b.maxDelay(),
                        b.sortWindow());
        return String.format(
                Locale.ROOT,
                "modelpool CapabilityService.handle, one request per sentence, "
                        + "%d workers x 1 session (%d intra-op thread, %s), %s, cut at %s tokens",
                model.workers(),
                model.session().intraOpThreads(),
                model.session().optimizationLevel(),
                batching,
                model.parameters().get("max-sequence-length"));
    }

    @Override
    public float[][] embed(List<String> texts) throws Exception {
        List<CompletableFuture<Outcome>> results = new ArrayList<>(texts.size());
        for (String text : texts) {
            // The all-fields constructor, as a decoder would fill it; the builder would resolve field defaults.
            TextEmbeddingRequest request = new TextEmbeddingRequest(
                    "bench-" + requestNumber++, null, MODEL, null, List.of(text), EmbeddingInputType.DOCUMENT, null);
            results.add(submit(request));
        }
        float[][] embeddings = new float[texts.size()][];
        for (int i = 0; i < embeddings.length; i++) {
            TextEmbeddingResult result = (TextEmbeddingResult) results.get(i)
                    .get(LOAD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .record();
            if (result.getStatus() != ResultStatus.OK) {
                throw new IllegalStateException("request " + result.getRequestId() + " failed: " + result.getError());
            }
            List<Float> vector = result.getPayload().getEmbeddings().get(0).getVector();
            float[] values = new float[vector.size()];
            for (int d = 0; d < values.length; d++) {
                values[d] = vector.get(d);
            }
            embeddings[i] = values;
        }
        return embeddings;
    }

    /** Submits one request; when the model's bounded queue is full, waits for room as the intake would. */
    private CompletableFuture<Outcome> submit(TextEmbeddingRequest request) throws PoolRejectedException {
        long giveUp = System.nanoTime() + ROOM_TIMEOUT_NANOS;
        while (true) {
            try {
                return service.handle(request, CONTEXT);
            } catch (PoolRejectedException e) {
                if (!(e.error() instanceof PoolError.Overloaded) || System.nanoTime() > giveUp) {
                    throw e;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }
    }

    @Override
    public void close() {
        registry.close();
    }
}

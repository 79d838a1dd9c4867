package io.modelpool.worker.observe;

/**
 * The names and tag keys of modelpool's own meters: part of the public face (dashboards and alerts use them),
 * documented in docs/metrics.md. Micrometer's Prometheus registry turns {@code modelpool.requests.received}
 * into {@code modelpool_requests_received_total}, timers into {@code _seconds} histograms and byte gauges into
 * {@code _bytes}.
 */
public final class MeterNames {

    private MeterNames() {}

    public static final String REQUESTS_RECEIVED = "modelpool.requests.received";
    public static final String REQUESTS_COMPLETED = "modelpool.requests.completed";
    public static final String REQUESTS_FAILED = "modelpool.requests.failed";
    public static final String REQUESTS_DEAD_LETTERED = "modelpool.requests.dead.lettered";
    public static final String REQUEST_QUEUED = "modelpool.request.queued";
    public static final String REQUEST_END_TO_END = "modelpool.request.end.to.end";

    public static final String POOL_QUEUE_DEPTH = "modelpool.pool.queue.depth";
    public static final String POOL_IN_FLIGHT = "modelpool.pool.in.flight";
    public static final String BATCH_SIZE = "modelpool.batch.size";
    public static final String BATCH_TOKENS = "modelpool.batch.tokens";
    public static final String BATCH_INFERENCE = "modelpool.batch.inference";
    public static final String MODELS_LOADED = "modelpool.models.loaded";
    public static final String MODEL_RESIDENT = "modelpool.model.resident";
    public static final String MODEL_LOAD = "modelpool.model.load";
    public static final String MODEL_UNLOADS = "modelpool.model.unloads";
    public static final String POOL_WORKERS = "modelpool.pool.workers";
    public static final String MEMORY_BUDGET = "modelpool.memory.budget";
    public static final String MEMORY_BUDGET_USED = "modelpool.memory.budget.used";
    /** Per model: learned seconds of one worker per unit of task cost (Prometheus: ..._cost_rate_seconds). */
    public static final String MODEL_COST_RATE = "modelpool.model.cost.rate";
    /** Per model: estimated seconds of work queued and running, shared by its workers. */
    public static final String MODEL_WORK = "modelpool.model.work.seconds";
    /**
     * Per capability: the estimated seconds this worker needs to clear its assigned backlog (consumer lag times the
     * recent mean cost per record, at the learned rate); the autoscaling signal of deploy/ (KEDA, Prometheus
     * {@code modelpool_backlog_seconds}). Registered by {@link BacklogMeters}.
     */
    public static final String BACKLOG_SECONDS = "modelpool.backlog.seconds";

    public static final String INTAKE_PAUSES = "modelpool.intake.pauses";
    public static final String INTAKE_RESUMES = "modelpool.intake.resumes";
    public static final String OFFSET_COMMIT = "modelpool.offset.commit";

    public static final String SHUTDOWN_DRAINED = "modelpool.shutdown.drained";
    public static final String SHUTDOWN_ABANDONED = "modelpool.shutdown.abandoned";
    public static final String SHUTDOWN_DURATION = "modelpool.shutdown.duration";

    public static final String WORKER_READY = "modelpool.worker.ready";

    public static final String TAG_CAPABILITY = "capability";
    public static final String TAG_MODEL = "model";
    public static final String TAG_OUTCOME = "outcome";
    public static final String TAG_ERROR_CODE = "error.code";
    public static final String TAG_REASON = "reason";

    /** The model tag of a request naming a model this worker does not serve (bounds the tag's values). */
    public static final String UNKNOWN_MODEL = "unknown";
    /** The model tag of a dead letter: its request was never decoded. */
    public static final String NO_MODEL = "none";
}

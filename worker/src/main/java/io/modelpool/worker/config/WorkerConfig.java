package io.modelpool.worker.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.LOW;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Range.atLeast;
import static org.apache.kafka.common.config.ConfigDef.Range.between;
import static org.apache.kafka.common.config.ConfigDef.Type.BOOLEAN;
import static org.apache.kafka.common.config.ConfigDef.Type.DOUBLE;
import static org.apache.kafka.common.config.ConfigDef.Type.INT;
import static org.apache.kafka.common.config.ConfigDef.Type.LIST;
import static org.apache.kafka.common.config.ConfigDef.Type.LONG;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import io.modelpool.schemas.registry.SchemaRegistryClientConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * The worker's configuration. Each key is declared exactly once in {@link #DEFINITION}; the reference in
 * docs/configuration.md is generated from it ({@link ConfigDocs}), so documentation and code cannot drift.
 *
 * <p>Two prefixes pass settings through unchanged instead of being declared here:
 * <ul>
 *   <li>{@code kafka.}: any Kafka client setting for both consumer and producer ({@code kafka.security.protocol},
 *       {@code kafka.sasl.jaas.config}, ...); {@code kafka.consumer.} and {@code kafka.producer.} apply to one side
 *       only and win over {@code kafka.}.</li>
 *   <li>{@code schema.registry.}: settings of the schema-registry client and serde, with the prefix kept where
 *       Confluent's own key has it ({@code schema.registry.url}, {@code schema.registry.ssl.truststore.location})
 *       and stripped otherwise ({@code schema.registry.basic.auth.user.info} becomes {@code basic.auth.user.info},
 *       {@code schema.registry.missing.id.cache.ttl.sec} becomes {@code missing.id.cache.ttl.sec}).</li>
 * </ul>
 * Any other key that is not declared stops start-up with a message naming it.
 */
public final class WorkerConfig extends AbstractConfig {

    public static final String KAFKA_PREFIX = "kafka.";
    public static final String KAFKA_CONSUMER_PREFIX = "kafka.consumer.";
    public static final String KAFKA_PRODUCER_PREFIX = "kafka.producer.";
    public static final String REGISTRY_PREFIX = "schema.registry.";

    public static final String BOOTSTRAP_SERVERS = "kafka.bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String WORKER_ID = "worker.id";
    public static final String DATA_DIR = "data.dir";
    public static final String TOPIC_PREFIX = "topic.prefix";
    public static final String MANIFEST = "manifest";
    public static final String GROUP_ID = "group.id";
    public static final String GROUP_INSTANCE_ID = "group.instance.id";
    public static final String GROUP_PROTOCOL = "group.protocol";
    public static final String LEAVE_GROUP_ON_CLOSE = "group.leave-on-close";
    public static final String MAX_POLL_RECORDS = "intake.max-poll-records";
    public static final String POLL_TIMEOUT_MS = "intake.poll-timeout-ms";
    public static final String MAX_REQUEST_BYTES = "intake.max-request-bytes";
    public static final String SCHEMA_LOOKUPS_PER_SECOND = "intake.schema-lookups-per-second";
    public static final String SCHEMA_LOOKUP_THREADS = "intake.schema-lookup-threads";
    public static final String SCHEMA_LOOKUPS_PER_SECOND_WHILE_BUSY = "intake.schema-lookups-per-second-while-busy";
    public static final String PUBLISH_LINGER_MS = "publish.linger-ms";
    public static final String PUBLISH_MAX_RECORDS = "publish.max-records";
    public static final String DEAD_LETTER_MAX_VALUE_BYTES = "dead-letter.max-value-bytes";
    public static final String PUBLISH_PERMANENT_FAILURE_ATTEMPTS = "publish.permanent-failure-attempts";
    public static final String HIGH_WATER = "backpressure.high-water";
    public static final String LOW_WATER = "backpressure.low-water";
    public static final String WORK_BUDGET_SHARE = "backpressure.work-budget-share";
    public static final String MAX_IN_FLIGHT_BYTES = "backpressure.max-in-flight-bytes";
    public static final String INTERACTIVE_RESERVE = "backpressure.interactive-reserve";
    public static final String INTERACTIVE_RESERVE_SHARE = "backpressure.interactive-reserve-share";
    public static final String COMMIT_INTERVAL_MS = "commit.interval-ms";
    public static final String RETRY_BACKOFF_MS = "retry.backoff-ms";
    public static final String RETRY_BACKOFF_MAX_MS = "retry.backoff-max-ms";
    public static final String DRAIN_TIMEOUT_MS = "shutdown.drain-timeout-ms";
    public static final String CLOSE_TIMEOUT_MS = "shutdown.close-timeout-ms";
    public static final String PROCESSING_GUARANTEE = "processing.guarantee";
    public static final String TRANSACTION_INTERVAL_MS = "transaction.interval-ms";
    public static final String TRANSACTION_MAX_RECORDS = "transaction.max-records";
    public static final String TRANSACTIONAL_ID = "transaction.id";
    /** {@value #PROCESSING_GUARANTEE} values. */
    public static final String AT_LEAST_ONCE = "at_least_once";

    public static final String EXACTLY_ONCE = "exactly_once";
    public static final String CREATE_TOPICS = "topics.create";
    public static final String TOPIC_PARTITIONS = "topics.partitions";
    public static final String TOPIC_REPLICATION = "topics.replication-factor";
    public static final String JOBS_TRACKER_ENABLED = "jobs.tracker.enabled";
    public static final String JOBS_APPLICATION_ID = "jobs.tracker.application-id";
    public static final String JOBS_STATE_DIR = "jobs.tracker.state-dir";
    public static final String JOBS_STALL_AFTER_MS = "jobs.stall-after-ms";
    public static final String JOBS_DEDUP_RETENTION_MS = "jobs.dedup-retention-ms";
    public static final String JOBS_STATUS_INTERVAL_MS = "jobs.status-interval-ms";
    public static final String JOBS_RETENTION_MS = "jobs.retention-ms";
    public static final String HTTP_PORT = "http.port";
    public static final String HTTP_BIND_ADDRESS = "http.bind-address";
    public static final String HEALTH_CHECK_INTERVAL_MS = "health.check-interval-ms";
    public static final String HEALTH_CHECK_TIMEOUT_MS = "health.check-timeout-ms";
    public static final String HEALTH_LIVENESS_STALL_MS = "health.liveness-stall-ms";
    public static final String POOL_MEMORY_BUDGET_BYTES = "pool.memory-budget-bytes";
    public static final String POOL_MEMORY_BUDGET_SHARE = "pool.memory-budget-share";
    public static final String POOL_IDLE_UNLOAD_MS = "pool.idle-unload-ms";
    public static final String POOL_WARM_UP = "pool.warm-up";
    public static final String POOL_MAINTENANCE_INTERVAL_MS = "pool.maintenance-interval-ms";
    public static final String POOL_SCALE_UP_WAIT_MS = "pool.scale-up-wait-ms";
    public static final String POOL_WORKER_IDLE_MS = "pool.worker-idle-ms";
    public static final String POOL_LOAD_RETRY_BACKOFF_MS = "pool.load-retry-backoff-ms";
    public static final String POOL_LOAD_RETRY_BACKOFF_MAX_MS = "pool.load-retry-backoff-max-ms";

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(
                    BOOTSTRAP_SERVERS,
                    STRING,
                    ConfigDef.NO_DEFAULT_VALUE,
                    new ConfigDef.NonEmptyString(),
                    HIGH,
                    "Kafka bootstrap servers, host:port[,host:port...].")
            .define(
                    SCHEMA_REGISTRY_URL,
                    STRING,
                    ConfigDef.NO_DEFAULT_VALUE,
                    new ConfigDef.NonEmptyString(),
                    HIGH,
                    "Confluent-compatible schema registry URL(s), comma-separated.")
            .define(
                    WORKER_ID,
                    STRING,
                    "",
                    HIGH,
                    "This worker's id, written into every result. Empty: host name plus process id.")
            .define(
                    DATA_DIR,
                    STRING,
                    ".modelpool",
                    new ConfigDef.NonEmptyString(),
                    MEDIUM,
                    "Directory of the worker's local files (the job tracker's state stores, under jobs/); relative "
                            + "to the working directory unless absolute. Never the system temp directory, which "
                            + "the OS may clear under a running worker.")
            .define(
                    TOPIC_PREFIX,
                    STRING,
                    "modelpool",
                    new ConfigDef.NonEmptyString(),
                    HIGH,
                    "Prefix of every topic: <prefix>.<capability>.requests, <prefix>.<capability>.results, "
                            + "<prefix>.dead-letters.")
            .define(
                    MANIFEST,
                    STRING,
                    "classpath:modelpool/models.yaml",
                    new ConfigDef.NonEmptyString(),
                    HIGH,
                    "The model manifest: classpath:PATH or a file path. Only the capabilities it names are consumed.")
            .define(
                    GROUP_ID,
                    STRING,
                    "modelpool-workers",
                    new ConfigDef.NonEmptyString(),
                    HIGH,
                    "Consumer group of the worker fleet. Every worker of one fleet uses the same group.")
            .define(
                    GROUP_INSTANCE_ID,
                    STRING,
                    "",
                    MEDIUM,
                    "Static membership id (group.instance.id). When set, a restart within the session timeout does "
                            + "not rebalance. Must be unique per worker. Empty: dynamic membership.")
            .define(
                    GROUP_PROTOCOL,
                    STRING,
                    "classic",
                    ConfigDef.ValidString.in("classic", "consumer"),
                    MEDIUM,
                    "Consumer group protocol: classic (cooperative-sticky assignor) or consumer (KIP-848).")
            .define(
                    LEAVE_GROUP_ON_CLOSE,
                    BOOLEAN,
                    true,
                    MEDIUM,
                    "Leave the group when the worker closes, so its partitions move at once. With static membership "
                            + "set this to false to keep the assignment through a rolling restart.")
            .define(MAX_POLL_RECORDS, INT, 500, between(1, 100_000), MEDIUM, "Most records one poll returns.")
            .define(
                    POLL_TIMEOUT_MS,
                    LONG,
                    50L,
                    between(1, 10_000),
                    LOW,
                    "Longest one poll waits for records. The intake loop also handles completions in between, so "
                            + "this bounds result latency when the topics are idle.")
            .define(
                    MAX_REQUEST_BYTES,
                    INT,
                    16 * 1024 * 1024,
                    between(64, 512 * 1024 * 1024),
                    MEDIUM,
                    "Largest request value accepted, in bytes, checked before decoding. Larger records are "
                            + "dead-lettered.")
            .define(
                    SCHEMA_LOOKUPS_PER_SECOND,
                    DOUBLE,
                    1000.0,
                    between(1, 1_000_000),
                    MEDIUM,
                    "Most schema-registry lookups of writer schemas the worker has not cached, per second on "
                            + "average (a burst of one second's worth after a quiet spell). Lookups run off the intake "
                            + "thread: a record waiting for one is parked (at most 65536 records or 64 MiB; not "
                            + "counted against backpressure.high-water) while the records after it go on. Ids the "
                            + "registry does not know are remembered for "
                            + "schema.registry.missing.id.cache.ttl.sec (60 s) in a cache of "
                            + "schema.registry.missing.cache.size (10000) ids.")
            .define(
                    SCHEMA_LOOKUPS_PER_SECOND_WHILE_BUSY,
                    DOUBLE,
                    50.0,
                    between(1, 1_000_000),
                    MEDIUM,
                    "Most schema-registry lookups per second (see " + SCHEMA_LOOKUPS_PER_SECOND + ") while the "
                            + "model pools have work queued or running: good work first. A flood of records with "
                            + "distinct ids nobody registered costs an HTTP exchange and a dead letter each; at this "
                            + "rate it leaves the CPU to the requests being computed and takes the full rate back as "
                            + "soon as they are done. The rate is chosen as each lookup starts. A record with a new "
                            + "registered schema waits at most one interval (20 ms at 50) longer.")
            .define(
                    SCHEMA_LOOKUP_THREADS,
                    INT,
                    4,
                    between(1, 64),
                    LOW,
                    "Schema-registry lookups at once (see " + SCHEMA_LOOKUPS_PER_SECOND + ").")
            .define(
                    PUBLISH_LINGER_MS,
                    LONG,
                    20L,
                    between(0, 10_000),
                    MEDIUM,
                    "Longest a computed result waits in the worker for others while more requests are still "
                            + "computing, so that results leave in fewer, larger produce requests (less broker and "
                            + "reader CPU per result). A result is published at once when nothing else is computing, "
                            + "so an idle worker adds no latency. 0 publishes every result at once.")
            .define(
                    PUBLISH_MAX_RECORDS,
                    INT,
                    256,
                    between(1, 100_000),
                    LOW,
                    "Results published together at most: this many waiting results leave at once, whatever "
                            + "publish.linger-ms says.")
            .define(
                    DEAD_LETTER_MAX_VALUE_BYTES,
                    INT,
                    256 * 1024,
                    between(0, 64 * 1024 * 1024),
                    MEDIUM,
                    "Largest original value a dead letter carries, in bytes. A larger value is left out of the "
                            + "dead letter, which then names its size and SHA-256, so a dead letter always fits the "
                            + "producer's max.request.size (checked at start-up).")
            .define(
                    PUBLISH_PERMANENT_FAILURE_ATTEMPTS,
                    INT,
                    3,
                    between(1, 100),
                    LOW,
                    "How often an outcome is tried after a permanent publishing failure (too large for the "
                            + "producer or the topic, topic not authorized or invalid, not encodable) before a "
                            + "smaller one replaces it: a result becomes an error result, an error result a dead "
                            + "letter, a dead letter one without the original value and headers. Retriable failures "
                            + "(broker unavailable) are retried with backoff without a bound.")
            .define(
                    HIGH_WATER,
                    INT,
                    512,
                    atLeast(1),
                    MEDIUM,
                    "Pause every assigned partition when this many records are unfinished (dispatched, not yet "
                            + "acknowledged): an upper bound on records in memory and outcomes waiting on the broker. "
                            + "The work a drain must finish is bounded by backpressure.work-budget-share.")
            .define(
                    LOW_WATER,
                    INT,
                    128,
                    atLeast(0),
                    MEDIUM,
                    "Resume paused partitions when the same count falls to this many. Must be below the high-water "
                            + "mark.")
            .define(
                    WORK_BUDGET_SHARE,
                    DOUBLE,
                    0.5,
                    between(0.0, 1.0),
                    MEDIUM,
                    "Share of shutdown.drain-timeout-ms that the estimated seconds of work in flight may fill: "
                            + "each task's cost (tokens, pixels, steps x area) times its model's learned seconds per "
                            + "cost unit, divided by the model's workers. Intake pauses there and resumes at half of "
                            + "it; the rest of the drain is the margin for an estimate that is low. A request whose "
                            + "estimate alone exceeds the budget is admitted alone (logged once per model). 0 turns "
                            + "the work budget off, leaving the record and byte bounds.")
            .define(
                    INTERACTIVE_RESERVE,
                    INT,
                    64,
                    between(0, 100_000),
                    MEDIUM,
                    "Records beyond backpressure.high-water that only records of the interactive request topics "
                            + "(<prefix>.<capability>.requests, not their .bulk siblings) may take, so an interactive "
                            + "request is admitted while a batch job keeps the bounds reached. Bulk requests never use "
                            + "it.")
            .define(
                    INTERACTIVE_RESERVE_SHARE,
                    DOUBLE,
                    0.2,
                    between(0.0, 1.0),
                    MEDIUM,
                    "Share of shutdown.drain-timeout-ms beyond the work budget that only records of the interactive "
                            + "request topics may fill (see backpressure.interactive-reserve). With "
                            + "backpressure.work-budget-share it must not exceed 1, so what is in flight can still "
                            + "finish inside the drain.")
            .define(
                    MAX_IN_FLIGHT_BYTES,
                    LONG,
                    64L * 1024 * 1024,
                    between(1024, 16L * 1024 * 1024 * 1024),
                    MEDIUM,
                    "Request bytes (record values as read from Kafka) the pools may hold: records handed to a "
                            + "capability whose outcome has not come back. Intake pauses there and resumes at half "
                            + "of it; a lone record is always admitted, so any request up to intake.max-request-bytes "
                            + "still runs.")
            .define(
                    COMMIT_INTERVAL_MS,
                    LONG,
                    1000L,
                    between(10, 60_000),
                    MEDIUM,
                    "How often the done prefix is committed while records flow. Commits also happen on revocation "
                            + "and shutdown.")
            .define(
                    RETRY_BACKOFF_MS,
                    LONG,
                    200L,
                    between(1, 60_000),
                    LOW,
                    "First backoff after a dependency failure (schema registry or broker unavailable).")
            .define(
                    RETRY_BACKOFF_MAX_MS,
                    LONG,
                    10_000L,
                    between(1, 600_000),
                    LOW,
                    "Longest backoff between retries of a dependency failure; the backoff doubles up to this.")
            .define(
                    DRAIN_TIMEOUT_MS,
                    LONG,
                    5000L,
                    between(0, 600_000),
                    HIGH,
                    "On shutdown or partition revocation, how long in-flight and queued work may run before what is "
                            + "left is abandoned (not committed, so another worker takes it).")
            .define(
                    CLOSE_TIMEOUT_MS,
                    LONG,
                    5000L,
                    between(100, 600_000),
                    MEDIUM,
                    "Budget for publishing, committing and closing clients after the drain. A watchdog halts the "
                            + "process when drain plus close budget plus one second have passed.")
            .define(
                    PROCESSING_GUARANTEE,
                    STRING,
                    AT_LEAST_ONCE,
                    ConfigDef.ValidString.in(AT_LEAST_ONCE, EXACTLY_ONCE),
                    HIGH,
                    "at_least_once: offsets are committed behind acknowledged outcomes; a crash answers the "
                            + "requests since the last commit again. exactly_once: a transactional producer commits "
                            + "results, error results, dead letters and the consumed offsets atomically; readers "
                            + "with isolation.level=read_committed see each result once. See docs/operations.md.")
            .define(
                    TRANSACTION_INTERVAL_MS,
                    LONG,
                    100L,
                    between(1, 60_000),
                    MEDIUM,
                    "exactly_once: longest a transaction stays open while outcomes flow; read_committed readers "
                            + "see a result at most about this much later than at_least_once readers would. A "
                            + "transaction commits at once when no other work is in flight.")
            .define(
                    TRANSACTION_MAX_RECORDS,
                    INT,
                    1000,
                    between(1, 1_000_000),
                    MEDIUM,
                    "exactly_once: most outcomes one transaction carries before it is committed.")
            .define(
                    TRANSACTIONAL_ID,
                    STRING,
                    "",
                    MEDIUM,
                    "exactly_once: the producer's transactional.id. It must be the same across restarts of one "
                            + "worker instance (so a restarted worker fences its predecessor and aborts the "
                            + "transaction a crash left open at once) and unique in the fleet. Empty: "
                            + "<group.id>-<group.instance.id>, or <group.id>-<worker.id> without static membership.")
            .define(
                    CREATE_TOPICS,
                    BOOLEAN,
                    false,
                    LOW,
                    "Create missing request, result, dead-letter and job topics at start-up (local and test setups).")
            .define(
                    TOPIC_PARTITIONS,
                    INT,
                    12,
                    between(1, 10_000),
                    LOW,
                    "Partitions of topics created by topics.create.")
            .define(
                    TOPIC_REPLICATION,
                    INT,
                    1,
                    between(1, 32),
                    LOW,
                    "Replication factor of topics created by topics.create.")
            .define(
                    JOBS_TRACKER_ENABLED,
                    BOOLEAN,
                    true,
                    MEDIUM,
                    "Run the job tracker (a Kafka Streams topology counting each job's results into "
                            + "<prefix>.jobs.status) inside this worker. Switch it off on workers that should only "
                            + "serve inference; at least one worker of the fleet should run it. See docs/jobs.md.")
            .define(
                    JOBS_APPLICATION_ID,
                    STRING,
                    "",
                    LOW,
                    "Kafka Streams application id of the job tracker; the same on every worker of one fleet. "
                            + "Empty: <group.id>-jobs.")
            .define(
                    JOBS_STATE_DIR,
                    STRING,
                    "",
                    LOW,
                    "Directory of the job tracker's local state stores. Empty: <data.dir>/jobs/<worker.id>, "
                            + "emptied at every start (the stores are rebuilt from their changelog "
                            + "topics). A directory set here is kept across restarts.")
            .define(
                    JOBS_STALL_AFTER_MS,
                    LONG,
                    300_000L,
                    between(1_000, 7L * 24 * 3600 * 1000),
                    MEDIUM,
                    "A job that is not complete and has had no new result for this long is reported STALLED; it "
                            + "is RUNNING again with its next result. A CANCELLING job with nothing new for this long "
                            + "is CANCELLED. Deadlines (this one, completion windows) are checked every quarter of it, "
                            + "at most every 30 s.")
            .define(
                    JOBS_DEDUP_RETENTION_MS,
                    LONG,
                    24L * 3600 * 1000,
                    between(60_000, 30L * 24 * 3600 * 1000),
                    LOW,
                    "How long the job tracker remembers a request id to drop duplicate results (at-least-once "
                            + "redeliveries). A duplicate arriving later than this after the first counts twice.")
            .define(
                    JOBS_STATUS_INTERVAL_MS,
                    LONG,
                    1000L,
                    between(10, 60_000),
                    LOW,
                    "How often the job tracker publishes the progress of jobs that changed. Changes of state "
                            + "(registered, COMPLETED, STALLED) are published at once.")
            .define(
                    JOBS_RETENTION_MS,
                    LONG,
                    7L * 24 * 3600 * 1000,
                    between(60_000, 365L * 24 * 3600 * 1000),
                    LOW,
                    "How long the job tracker keeps a COMPLETED, STALLED, CANCELLED or EXPIRED job in its store "
                            + "after the job's last change (and workers remember a cancel or a completion window after "
                            + "it was given or closed); then the job leaves the store (the compacted status topic keeps its last "
                            + "status). Found through an index by deadline, never by walking every job. Keep it at or "
                            + "above jobs.dedup-retention-ms, or a late duplicate result starts the job anew.")
            .define(
                    HTTP_PORT,
                    INT,
                    0,
                    between(0, 65_535),
                    MEDIUM,
                    "Port of the worker's HTTP endpoints: /metrics (Prometheus), /health/live, /health/ready. "
                            + "0 switches them off. See docs/metrics.md.")
            .define(
                    HTTP_BIND_ADDRESS,
                    STRING,
                    "0.0.0.0",
                    new ConfigDef.NonEmptyString(),
                    LOW,
                    "Address the HTTP endpoints bind to; 127.0.0.1 keeps them local to the host.")
            .define(
                    HEALTH_CHECK_INTERVAL_MS,
                    LONG,
                    5000L,
                    between(100, 300_000),
                    LOW,
                    "How often readiness checks that the Kafka cluster and the schema registry answer (on its own "
                            + "thread; /health/ready reads the last result). Only with http.port set.")
            .define(
                    HEALTH_CHECK_TIMEOUT_MS,
                    LONG,
                    2000L,
                    between(50, 60_000),
                    LOW,
                    "Longest one readiness check of the Kafka cluster or the schema registry may take before it "
                            + "counts as unreachable.")
            .define(
                    HEALTH_LIVENESS_STALL_MS,
                    LONG,
                    60_000L,
                    between(1_000, 3_600_000),
                    MEDIUM,
                    "/health/live answers 503 when the intake loop has not turned for this long (a stuck poll, "
                            + "commit or send), so the orchestrator restarts the worker. The loop turns at least every "
                            + "intake.poll-timeout-ms while healthy; a revocation or shutdown drain turns it too. A value "
                            + "below shutdown.drain-timeout-ms plus shutdown.close-timeout-ms counts as that sum, "
                            + "because a revocation's drain and commit may hold the loop that long.")
            .define(
                    POOL_MEMORY_BUDGET_BYTES,
                    LONG,
                    0L,
                    atLeast(0),
                    MEDIUM,
                    "Most memory the loaded models may be estimated to hold (each worker's session: model file size "
                            + "times the manifest's size-factor). A load or a new worker that does not fit first "
                            + "unloads the least recently used idle models, and otherwise waits; a model with work in "
                            + "flight is never unloaded. 0: pool.memory-budget-share of the container's memory.")
            .define(
                    POOL_MEMORY_BUDGET_SHARE,
                    DOUBLE,
                    0.5,
                    between(0.01, 1.0),
                    MEDIUM,
                    "When pool.memory-budget-bytes is 0, the budget is this share of the memory the JVM sees "
                            + "(the container's limit in a container).")
            .define(
                    POOL_IDLE_UNLOAD_MS,
                    LONG,
                    600_000L,
                    atLeast(0),
                    MEDIUM,
                    "Unload a model that has had no request for this long; its next request loads it again. A "
                            + "manifest entry's idle-unload wins. 0: never.")
            .define(
                    POOL_WARM_UP,
                    LIST,
                    "",
                    MEDIUM,
                    "Model keys to load at start-up rather than on their first request, comma-separated. A key "
                            + "that is not in the manifest stops start-up.")
            .define(
                    POOL_MAINTENANCE_INTERVAL_MS,
                    LONG,
                    200L,
                    between(1, 60_000),
                    LOW,
                    "How often the maintenance thread scales workers, unloads idle models and checks the memory "
                            + "budget.")
            .define(
                    POOL_SCALE_UP_WAIT_MS,
                    LONG,
                    100L,
                    between(0, 600_000),
                    LOW,
                    "A model below its max-workers gets one more worker per maintenance pass while its queue holds "
                            + "more tasks than its workers take at once, or its oldest queued task has waited this "
                            + "long.")
            .define(
                    POOL_WORKER_IDLE_MS,
                    LONG,
                    30_000L,
                    between(0, 24L * 3600 * 1000),
                    LOW,
                    "A worker above its model's min-workers is retired after this long without a task.")
            .define(
                    POOL_LOAD_RETRY_BACKOFF_MS,
                    LONG,
                    1000L,
                    between(1, 600_000),
                    LOW,
                    "After a model fails to load, its requests are answered MODEL_LOAD_FAILED for this long; the "
                            + "next request after it tries the load again. Doubles with each further failure.")
            .define(
                    POOL_LOAD_RETRY_BACKOFF_MAX_MS,
                    LONG,
                    60_000L,
                    between(1, 3_600_000),
                    LOW,
                    "Longest backoff between two load attempts of a model that keeps failing.");

    private final Map<String, String> kafkaCommon;
    private final Map<String, String> kafkaConsumer;
    private final Map<String, String> kafkaProducer;
    private final Map<String, String> registry;

    private WorkerConfig(
            Map<String, String> declared,
            Map<String, String> kafkaCommon,
            Map<String, String> kafkaConsumer,
            Map<String, String> kafkaProducer,
            Map<String, String> registry) {
        super(DEFINITION, declared, false);
        this.kafkaCommon = Map.copyOf(kafkaCommon);
        this.kafkaConsumer = Map.copyOf(kafkaConsumer);
        this.kafkaProducer = Map.copyOf(kafkaProducer);
        this.registry = Map.copyOf(registry);
        if (getInt(LOW_WATER) >= getInt(HIGH_WATER)) {
            throw new ConfigException(
                    LOW_WATER, getInt(LOW_WATER), "must be below " + HIGH_WATER + " (" + getInt(HIGH_WATER) + ")");
        }
        if (getDouble(WORK_BUDGET_SHARE) + getDouble(INTERACTIVE_RESERVE_SHARE) > 1 + 1e-9) {
            throw new ConfigException(
                    INTERACTIVE_RESERVE_SHARE,
                    getDouble(INTERACTIVE_RESERVE_SHARE),
                    "must not exceed 1 - " + WORK_BUDGET_SHARE + " (" + (1 - getDouble(WORK_BUDGET_SHARE)) + ")");
        }
        if (getLong(POOL_LOAD_RETRY_BACKOFF_MS) > getLong(POOL_LOAD_RETRY_BACKOFF_MAX_MS)) {
            throw new ConfigException(
                    POOL_LOAD_RETRY_BACKOFF_MS,
                    getLong(POOL_LOAD_RETRY_BACKOFF_MS),
                    "must not exceed " + POOL_LOAD_RETRY_BACKOFF_MAX_MS + " (" + getLong(POOL_LOAD_RETRY_BACKOFF_MAX_MS)
                            + ")");
        }
        refuseGuaranteeCritical(KAFKA_PREFIX, kafkaCommon);
        refuseGuaranteeCritical(KAFKA_CONSUMER_PREFIX, kafkaConsumer);
        refuseGuaranteeCritical(KAFKA_PRODUCER_PREFIX, kafkaProducer);
        if (getLong(RETRY_BACKOFF_MS) > getLong(RETRY_BACKOFF_MAX_MS)) {
            throw new ConfigException(
                    RETRY_BACKOFF_MS,
                    getLong(RETRY_BACKOFF_MS),
                    "must not exceed " + RETRY_BACKOFF_MAX_MS + " (" + getLong(RETRY_BACKOFF_MAX_MS) + ")");
        }
    }

    /**
     * Kafka client settings the worker's guarantees rest on; a {@code kafka.*} override of one is refused at start-up
     * rather than applied. Offsets are committed by the intake behind acknowledged outcomes (never automatically),
     * both guarantees read committed requests only, results are acknowledged by every in-sync replica without
     * duplicates, and the transactional id and the group are set by their own keys.
     */
    static final Map<String, String> GUARANTEE_CRITICAL = Map.of(
            "enable.auto.commit",
            "the intake commits offsets behind acknowledged outcomes",
            "isolation.level",
            "both guarantees read requests with read_committed",
            "acks",
            "outcomes must be acknowledged by all in-sync replicas before their offsets commit",
            "enable.idempotence",
            "a retried send must not duplicate an outcome",
            "transactional.id",
            "set it with " + TRANSACTIONAL_ID,
            "group.id",
            "set it with " + GROUP_ID,
            "group.instance.id",
            "set it with " + GROUP_INSTANCE_ID,
            "auto.commit.interval.ms",
            "the intake commits offsets itself (" + COMMIT_INTERVAL_MS + ")");

    private static void refuseGuaranteeCritical(String prefix, Map<String, String> overrides) {
        for (String key : new TreeSet<>(overrides.keySet())) {
            String why = GUARANTEE_CRITICAL.get(key);
            if (why != null) {
                throw new ConfigException(prefix + key + " cannot be overridden: " + why);
            }
        }
    }

    /**
     * Validates flat settings (already merged from file, environment and flags).
     *
     * @throws ConfigException naming the first unknown key or invalid value
     */
    public static WorkerConfig of(Map<String, String> settings) {
        Map<String, String> declared = new LinkedHashMap<>();
        Map<String, String> kafkaCommon = new TreeMap<>();
        Map<String, String> kafkaConsumer = new TreeMap<>();
        Map<String, String> kafkaProducer = new TreeMap<>();
        Map<String, String> registry = new TreeMap<>();
        for (Map.Entry<String, String> e : new TreeMap<>(settings).entrySet()) {
            String key = e.getKey();
            if (DEFINITION.configKeys().containsKey(key)) {
                declared.put(key, e.getValue());
            } else if (key.startsWith(KAFKA_CONSUMER_PREFIX)) {
                kafkaConsumer.put(key.substring(KAFKA_CONSUMER_PREFIX.length()), e.getValue());
            } else if (key.startsWith(KAFKA_PRODUCER_PREFIX)) {
                kafkaProducer.put(key.substring(KAFKA_PRODUCER_PREFIX.length()), e.getValue());
            } else if (key.startsWith(KAFKA_PREFIX)) {
                kafkaCommon.put(key.substring(KAFKA_PREFIX.length()), e.getValue());
            } else if (key.startsWith(REGISTRY_PREFIX)) {
                registry.put(registryClientKey(key), e.getValue());
            } else {
                throw new ConfigException(
                        key,
                        e.getValue(),
                        "unknown configuration key; see docs/configuration.md "
                                + "(Kafka client settings take the prefix kafka., registry settings schema.registry.)");
            }
        }
        return new WorkerConfig(declared, kafkaCommon, kafkaConsumer, kafkaProducer, registry);
    }

    private static String registryClientKey(String key) {
        String rest = key.substring(REGISTRY_PREFIX.length());
        if (rest.startsWith("basic.auth.") || rest.startsWith("bearer.auth.")) {
            return rest;
        }
        Set<String> clientKeys = SchemaRegistryClientConfig.configDef().names();
        if (clientKeys.contains(rest) && !clientKeys.contains(key)) {
            return rest; // schema.registry.missing.id.cache.ttl.sec -> missing.id.cache.ttl.sec
        }
        return key;
    }

    /** Kafka settings for the consumer: common pass-through first, consumer-only pass-through over it. */
    public Map<String, Object> kafkaConsumerOverrides() {
        Map<String, Object> m = new TreeMap<>(kafkaCommon);
        m.putAll(kafkaConsumer);
        return m;
    }

    /** Kafka settings for the producer and admin client: common pass-through, producer-only over it. */
    public Map<String, Object> kafkaProducerOverrides() {
        Map<String, Object> m = new TreeMap<>(kafkaCommon);
        m.putAll(kafkaProducer);
        return m;
    }

    /** Kafka settings common to every client (admin client uses these). */
    public Map<String, Object> kafkaCommonOverrides() {
        return new TreeMap<>(kafkaCommon);
    }

    /** Settings for the schema-registry client and serde, Confluent key names, URL included. */
    public Map<String, Object> registryConfig() {
        Map<String, Object> m = new TreeMap<>(registry);
        m.put(SCHEMA_REGISTRY_URL, getString(SCHEMA_REGISTRY_URL));
        return m;
    }

    public String bootstrapServers() {
        return getString(BOOTSTRAP_SERVERS);
    }

    public String workerId() {
        String id = getString(WORKER_ID);
        if (!id.isBlank()) {
            return id;
        }
        String host = Optional.ofNullable(System.getenv("HOSTNAME"))
                .filter(h -> !h.isBlank())
                .orElseGet(() -> {
                    try {
                        return java.net.InetAddress.getLocalHost().getHostName();
                    } catch (java.net.UnknownHostException e) {
                        return "worker";
                    }
                });
        return host + "-" + ProcessHandle.current().pid();
    }

    public String topicPrefix() {
        return getString(TOPIC_PREFIX);
    }

    public String manifest() {
        return getString(MANIFEST);
    }

    public String groupId() {
        return getString(GROUP_ID);
    }

    public Optional<String> groupInstanceId() {
        return Optional.of(getString(GROUP_INSTANCE_ID)).filter(s -> !s.isBlank());
    }

    public String groupProtocol() {
        return getString(GROUP_PROTOCOL);
    }

    public boolean leaveGroupOnClose() {
        return getBoolean(LEAVE_GROUP_ON_CLOSE);
    }

    public int maxPollRecords() {
        return getInt(MAX_POLL_RECORDS);
    }

    public Duration pollTimeout() {
        return Duration.ofMillis(getLong(POLL_TIMEOUT_MS));
    }

    public int maxRequestBytes() {
        return getInt(MAX_REQUEST_BYTES);
    }

    public double schemaLookupsPerSecond() {
        return getDouble(SCHEMA_LOOKUPS_PER_SECOND);
    }

    public double schemaLookupsPerSecondWhileBusy() {
        return getDouble(SCHEMA_LOOKUPS_PER_SECOND_WHILE_BUSY);
    }

    public int schemaLookupThreads() {
        return getInt(SCHEMA_LOOKUP_THREADS);
    }

    public Duration publishLinger() {
        return Duration.ofMillis(getLong(PUBLISH_LINGER_MS));
    }

    public int deadLetterMaxValueBytes() {
        return getInt(DEAD_LETTER_MAX_VALUE_BYTES);
    }

    public int publishPermanentFailureAttempts() {
        return getInt(PUBLISH_PERMANENT_FAILURE_ATTEMPTS);
    }

    public int publishMaxRecords() {
        return getInt(PUBLISH_MAX_RECORDS);
    }

    public int highWater() {
        return getInt(HIGH_WATER);
    }

    public int lowWater() {
        return getInt(LOW_WATER);
    }

    public double workBudgetShare() {
        return getDouble(WORK_BUDGET_SHARE);
    }

    public int interactiveReserve() {
        return getInt(INTERACTIVE_RESERVE);
    }

    public double interactiveReserveShare() {
        return getDouble(INTERACTIVE_RESERVE_SHARE);
    }

    public long maxInFlightBytes() {
        return getLong(MAX_IN_FLIGHT_BYTES);
    }

    public Duration commitInterval() {
        return Duration.ofMillis(getLong(COMMIT_INTERVAL_MS));
    }

    public Duration retryBackoff() {
        return Duration.ofMillis(getLong(RETRY_BACKOFF_MS));
    }

    public Duration retryBackoffMax() {
        return Duration.ofMillis(getLong(RETRY_BACKOFF_MAX_MS));
    }

    public Duration drainTimeout() {
        return Duration.ofMillis(getLong(DRAIN_TIMEOUT_MS));
    }

    public Duration closeTimeout() {
        return Duration.ofMillis(getLong(CLOSE_TIMEOUT_MS));
    }

    public boolean createTopics() {
        return getBoolean(CREATE_TOPICS);
    }

    public int topicPartitions() {
        return getInt(TOPIC_PARTITIONS);
    }

    public short topicReplicationFactor() {
        return getInt(TOPIC_REPLICATION).shortValue();
    }

    public boolean jobsTrackerEnabled() {
        return getBoolean(JOBS_TRACKER_ENABLED);
    }

    /** The job tracker's application id: {@value #JOBS_APPLICATION_ID}, or {@code <group.id>-jobs} when empty. */
    public String jobsApplicationId() {
        String id = getString(JOBS_APPLICATION_ID);
        return id.isBlank() ? groupId() + "-jobs" : id;
    }

    /** The directory of the worker's local files, {@value #DATA_DIR}. */
    public Path dataDir() {
        return Path.of(getString(DATA_DIR));
    }

    /** The configured state directory of the job tracker, if one is set. */
    public Optional<String> jobsStateDir() {
        return Optional.of(getString(JOBS_STATE_DIR)).filter(s -> !s.isBlank());
    }

    public Duration jobsStallAfter() {
        return Duration.ofMillis(getLong(JOBS_STALL_AFTER_MS));
    }

    public Duration jobsDedupRetention() {
        return Duration.ofMillis(getLong(JOBS_DEDUP_RETENTION_MS));
    }

    /** {@value #JOBS_RETENTION_MS}. */
    public Duration jobsRetention() {
        return Duration.ofMillis(getLong(JOBS_RETENTION_MS));
    }

    public Duration jobsStatusInterval() {
        return Duration.ofMillis(getLong(JOBS_STATUS_INTERVAL_MS));
    }

    /** The HTTP endpoints' port; 0 when they are off. */
    public int httpPort() {
        return getInt(HTTP_PORT);
    }

    public String httpBindAddress() {
        return getString(HTTP_BIND_ADDRESS);
    }

    public Duration healthCheckInterval() {
        return Duration.ofMillis(getLong(HEALTH_CHECK_INTERVAL_MS));
    }

    /** The liveness threshold: {@code health.liveness-stall-ms}, at least drain plus close timeout. */
    public Duration livenessStall() {
        return Duration.ofMillis(
                Math.max(getLong(HEALTH_LIVENESS_STALL_MS), getLong(DRAIN_TIMEOUT_MS) + getLong(CLOSE_TIMEOUT_MS)));
    }

    public Duration healthCheckTimeout() {
        return Duration.ofMillis(getLong(HEALTH_CHECK_TIMEOUT_MS));
    }

    /**
     * The models' memory budget in bytes: {@value #POOL_MEMORY_BUDGET_BYTES} when set, else
     * {@value #POOL_MEMORY_BUDGET_SHARE} of the memory the JVM sees, which in a container is the container's limit.
     */
    public long poolMemoryBudgetBytes() {
        long explicit = getLong(POOL_MEMORY_BUDGET_BYTES);
        if (explicit > 0) {
            return explicit;
        }
        long total = ((com.sun.management.OperatingSystemMXBean)
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
        return Math.max(1, (long) (total * getDouble(POOL_MEMORY_BUDGET_SHARE)));
    }

    /** How long a model may sit idle before it is unloaded; zero: never. */
    public Duration poolIdleUnload() {
        return Duration.ofMillis(getLong(POOL_IDLE_UNLOAD_MS));
    }

    /** Model keys to load at start-up. */
    public List<String> poolWarmUp() {
        return getList(POOL_WARM_UP).stream()
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .toList();
    }

    public Duration poolMaintenanceInterval() {
        return Duration.ofMillis(getLong(POOL_MAINTENANCE_INTERVAL_MS));
    }

    public Duration poolScaleUpWait() {
        return Duration.ofMillis(getLong(POOL_SCALE_UP_WAIT_MS));
    }

    public Duration poolWorkerIdle() {
        return Duration.ofMillis(getLong(POOL_WORKER_IDLE_MS));
    }

    public Duration poolLoadRetryBackoff() {
        return Duration.ofMillis(getLong(POOL_LOAD_RETRY_BACKOFF_MS));
    }

    public Duration poolLoadRetryBackoffMax() {
        return Duration.ofMillis(getLong(POOL_LOAD_RETRY_BACKOFF_MAX_MS));
    }

    /** {@value #PROCESSING_GUARANTEE}, validated: {@value #AT_LEAST_ONCE} or {@value #EXACTLY_ONCE}. */
    public String processingGuarantee() {
        return getString(PROCESSING_GUARANTEE);
    }

    /** Whether {@value #PROCESSING_GUARANTEE} is {@value #EXACTLY_ONCE}. */
    public boolean exactlyOnce() {
        return EXACTLY_ONCE.equals(getString(PROCESSING_GUARANTEE));
    }

    public Duration transactionInterval() {
        return Duration.ofMillis(getLong(TRANSACTION_INTERVAL_MS));
    }

    public int transactionMaxRecords() {
        return getInt(TRANSACTION_MAX_RECORDS);
    }

    /**
     * The transactional id of an exactly-once worker: {@value #TRANSACTIONAL_ID} when set, else the group id joined
     * to the static membership id, else to {@code workerId} (stable only where {@value #WORKER_ID} is set).
     */
    public String transactionalId(String workerId) {
        String id = getString(TRANSACTIONAL_ID);
        if (!id.isBlank()) {
            return id;
        }
        return groupId() + "-" + groupInstanceId().orElse(workerId);
    }

    /**
     * Whether the transactional id stays the same when this worker restarts: set explicitly, or derived from a
     * static membership id or an explicit worker id (the default worker id carries the process id).
     */
    public boolean transactionalIdStable() {
        return !getString(TRANSACTIONAL_ID).isBlank()
                || groupInstanceId().isPresent()
                || !getString(WORKER_ID).isBlank();
    }

    /**
     * The worker's {@code processing.guarantee} when this configuration declares that key; empty otherwise (the
     * worker is then at-least-once). The job tracker follows it.
     */
    public Optional<String> declaredProcessingGuarantee() {
        return Optional.ofNullable(values().get("processing.guarantee")).map(Object::toString);
    }
}

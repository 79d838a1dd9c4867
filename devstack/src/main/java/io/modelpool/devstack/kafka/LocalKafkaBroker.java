package io.modelpool.devstack.kafka;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Apache Kafka node in KRaft combined mode (broker and controller in the same process), listening on
 * 127.0.0.1 with PLAINTEXT.
 *
 * <p>The node keeps everything under {@link BrokerSettings#dataDir()}. The directory is formatted (given a
 * fresh cluster id) only when it holds no Kafka metadata yet, so a broker started again on the same directory,
 * in this JVM or in a later one, finds its topics, records, committed offsets and transactions where it left
 * them.
 *
 * <p>Ports are settled on the first start and kept for the life of this object: {@link #stop()} followed by
 * {@link #start()} (or {@link #restart()}) brings the broker back on the same client port, so producers and
 * consumers that were connected before reconnect on their own. A port of 0 picks a free one; if another process
 * takes it between the pick and the bind, the first start retries with fresh ports (at most three attempts). A
 * given port that is already in use fails the start at once.
 *
 * <p>The settings are those a single-node cluster needs to run transactions and consumer groups at once:
 * replication factor 1 and min ISR 1 for the internal topics, no initial rebalance delay, few internal topic
 * partitions.
 *
 * <p>Thread safety: all methods may be called from any thread; start and stop are serialised.
 */
public final class LocalKafkaBroker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalKafkaBroker.class);
    private static final int NODE_ID = 1;
    private static final int FIRST_START_ATTEMPTS = 3;
    private static final String HOST = "127.0.0.1";

    private final BrokerSettings settings;
    private int port;
    private int controllerPort;
    private KafkaRaftServer server;

    private LocalKafkaBroker(BrokerSettings settings) {
        this.settings = settings;
    }

    /**
     * Formats {@code settings.dataDir()} if it is new and starts the broker. Returns once the broker is
     * registered with its controller, unfenced and accepting clients.
     *
     * @throws IllegalStateException if the broker cannot start (port in use, unreadable data directory)
     */
    public static LocalKafkaBroker start(BrokerSettings settings) {
        LocalKafkaBroker broker = new LocalKafkaBroker(settings);
        broker.firstStart();
        return broker;
    }

    private synchronized void firstStart() {
        if (settings.port() != 0 && !isFree(settings.port())) {
            throw new IllegalStateException(
                    "Kafka broker cannot listen on " + HOST + ":" + settings.port() + ": the port is in use");
        }
        IllegalStateException last = null;
        for (int attempt = 1; attempt <= FIRST_START_ATTEMPTS; attempt++) {
            port = settings.port() == 0 ? freePort() : settings.port();
            controllerPort = freePort();
            try {
                start();
                return;
            } catch (IllegalStateException e) {
                last = e;
                if (!isBindFailure(e)) {
                    throw e;
                }
                log.warn(
                        "Kafka could not bind 127.0.0.1:{} or controller port {} (attempt {} of {})",
                        port,
                        controllerPort,
                        attempt,
                        FIRST_START_ATTEMPTS);
            }
        }
        throw last;
    }

    /** Starts the broker again on the same ports and data directory; does nothing while it is running. */
    public synchronized void start() {
        if (server != null) {
            return;
        }
        long began = System.nanoTime();
        Path dir = settings.dataDir().toAbsolutePath();
        KafkaConfig config;
        try {
            Files.createDirectories(dir);
            config = KafkaConfig.fromProps(properties(dir));
            format(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare Kafka data directory " + dir, e);
        }
        KafkaRaftServer candidate = new KafkaRaftServer(config, Time.SYSTEM);
        try {
            candidate.startup();
        } catch (RuntimeException e) {
            shutDown(candidate);
            throw new IllegalStateException(
                    "Kafka broker did not start on " + bootstrapServers() + " with data directory " + dir + ": "
                            + e.getMessage(),
                    e);
        }
        server = candidate;
        log.info(
                "Kafka broker started on {} with data directory {} in {} ms",
                bootstrapServers(),
                dir,
                (System.nanoTime() - began) / 1_000_000);
    }

    /**
     * Stops the broker (a controlled shutdown: leaders moved, logs flushed and closed) and waits until it is
     * down; its data directory stays. Does nothing while it is stopped.
     */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        KafkaRaftServer stopping = server;
        server = null;
        shutDown(stopping);
        log.info("Kafka broker on {} stopped", bootstrapServers());
    }

    /** {@link #stop()} then {@link #start()}: same port, same data, same cluster id. */
    public synchronized void restart() {
        stop();
        start();
    }

    public synchronized boolean isRunning() {
        return server != null;
    }

    /** {@code 127.0.0.1:port}, valid while running and after a restart. */
    public String bootstrapServers() {
        return HOST + ":" + port;
    }

    public int port() {
        return port;
    }

    public Path dataDir() {
        return settings.dataDir();
    }

    /** Same as {@link #stop()}; the data directory is left for its owner to keep or delete. */
    @Override
    public void close() {
        stop();
    }

    private Properties properties(Path dir) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        p.put("listeners", "PLAINTEXT://" + HOST + ":" + port + ",CONTROLLER://" + HOST + ":" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + port);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", dir.toString());
        p.put("metadata.log.dir", dir.toString());
        p.put("num.partitions", Integer.toString(settings.defaultPartitions()));
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        // A single node cannot meet the production replication defaults (3); without these the offsets and
        // transaction topics are never created and transactional producers time out.
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "5");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "5");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        // The log cleaner's default 128 MiB dedupe buffer is sized for production; compaction still runs.
        p.put("log.cleaner.dedupe.buffer.size", Integer.toString(4 * 1024 * 1024));
        p.put("log.cleaner.threads", "1");
        // Look for compactable logs every second rather than every 15 s, so compaction can be watched in tests.
        p.put("log.cleaner.backoff.ms", "1000");
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "4");
        p.put("num.recovery.threads.per.data.dir", "1");
        p.put("auto.create.topics.enable", "true");
        p.putAll(settings.overrides());
        return p;
    }

    private void format(Path dir) {
        if (Files.exists(dir.resolve("meta.properties"))) {
            // Already formatted: it keeps its cluster id and its data.
            return;
        }
        Formatter formatter = new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8))
                .setNodeId(NODE_ID)
                .setClusterId(Uuid.randomUuid().toString())
                .setDirectories(List.of(dir.toString()))
                .setMetadataLogDirectory(dir.toString())
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                .setUnstableFeatureVersionsEnabled(false)
                .setControllerListenerName("CONTROLLER");
        try {
            formatter.run();
            log.info("Formatted Kafka data directory {} for cluster {}", dir, formatter.clusterId());
        } catch (Exception e) {
            throw new IllegalStateException("cannot format Kafka data directory " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void shutDown(KafkaRaftServer server) {
        server.shutdown();
        server.awaitShutdown();
    }

    private static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException) {
                return true;
            }
        }
        return false;
    }

    private static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort() == port;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port on " + HOST, e);
        }
    }
}

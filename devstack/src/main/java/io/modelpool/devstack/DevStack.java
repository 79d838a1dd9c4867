package io.modelpool.devstack;

import io.modelpool.devstack.kafka.BrokerSettings;
import io.modelpool.devstack.kafka.LocalKafkaBroker;
import io.modelpool.devstack.registry.RegistrySettings;
import io.modelpool.devstack.registry.SchemaRegistryServer;
import io.modelpool.kafka.TopicReadiness;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local stack: one in-process Apache Kafka node (KRaft, broker and controller) and a Confluent-compatible
 * schema registry that stores its schemas in that node.
 *
 * <p>{@link #start} returns a running stack: the broker accepts clients (transactions and consumer groups
 * included) and the registry answers HTTP. {@link #close()} stops the registry, then the broker, and deletes
 * the data directory if it was a temporary one; it is idempotent. The broker can be stopped and started again
 * through {@link #broker()}, for tests of outages; the registry answers 50001 while it is down. The registry can
 * be stopped and started again too ({@link #stopRegistry()}, {@link #startRegistry()}): it comes back on the same
 * URL with the same schema ids, which live in the broker.
 *
 * <p>Thread safety: all methods may be called from any thread.
 */
public final class DevStack implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DevStack.class);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

    private final Path dataDir;
    private final boolean temporary;
    private final LocalKafkaBroker broker;
    private volatile SchemaRegistryServer registry;
    private boolean registryStopped;
    private final AtomicBoolean closed = new AtomicBoolean();
    private Admin admin;

    private DevStack(Path dataDir, boolean temporary, LocalKafkaBroker broker, SchemaRegistryServer registry) {
        this.dataDir = dataDir;
        this.temporary = temporary;
        this.broker = broker;
        this.registry = registry;
    }

    /**
     * Starts the broker, then the registry.
     *
     * @throws IllegalStateException if either cannot start (a port in use, an unusable data directory); whatever
     *                               had started is stopped again
     */
    public static DevStack start(DevStackOptions options) {
        long began = System.nanoTime();
        boolean temporary = options.dataDir() == null;
        Path dataDir;
        try {
            dataDir = temporary
                    ? Files.createTempDirectory("modelpool-devstack-")
                    : Files.createDirectories(options.dataDir().toAbsolutePath());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the devstack data directory " + options.dataDir(), e);
        }
        LocalKafkaBroker broker = null;
        try {
            broker = LocalKafkaBroker.start(
                    new BrokerSettings(dataDir.resolve("kafka"), options.kafkaPort(), options.defaultPartitions()));
            SchemaRegistryServer registry =
                    SchemaRegistryServer.start(broker.bootstrapServers(), options.registryPort());
            DevStack stack = new DevStack(dataDir, temporary, broker, registry);
            log.info(
                    "Devstack up in {} ms: Kafka {}, schema registry {}, data {}{}",
                    (System.nanoTime() - began) / 1_000_000,
                    stack.bootstrapServers(),
                    stack.schemaRegistryUrl(),
                    dataDir,
                    temporary ? " (temporary)" : "");
            return stack;
        } catch (RuntimeException e) {
            if (broker != null) {
                broker.close();
            }
            if (temporary) {
                deleteRecursively(dataDir);
            }
            throw e;
        }
    }

    /** {@code 127.0.0.1:port} of the broker. */
    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    /** Base URL of the schema registry, such as {@code http://127.0.0.1:40123}. */
    public String schemaRegistryUrl() {
        return registry.url();
    }

    /** The two settings every client needs, under their usual names. */
    public Map<String, Object> clientConfig() {
        return Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers(),
                "schema.registry.url",
                schemaRegistryUrl());
    }

    /** The broker, for tests that stop and restart it. */
    public LocalKafkaBroker broker() {
        return broker;
    }

    public SchemaRegistryServer registry() {
        return registry;
    }

    /**
     * Stops the schema registry, releasing its port: clients get connection refused until {@link #startRegistry()}.
     * The broker stays up. Does nothing while the registry is stopped.
     */
    public synchronized void stopRegistry() {
        if (registryStopped) {
            return;
        }
        registry.close();
        registryStopped = true;
    }

    /**
     * Starts the schema registry again with its previous settings: the same URL, the same store topic, so every id
     * handed out before is served again. Does nothing while it runs.
     *
     * @throws java.io.UncheckedIOException if the port was taken by another process meanwhile
     */
    public synchronized void startRegistry() {
        if (!registryStopped) {
            return;
        }
        RegistrySettings previous = registry.settings();
        registry = SchemaRegistryServer.start(new RegistrySettings(
                previous.bootstrapServers(),
                previous.host(),
                registry.port(),
                previous.topic(),
                previous.storeTimeout()));
        registryStopped = false;
    }

    public synchronized boolean isRegistryRunning() {
        return !registryStopped;
    }

    /** Where the stack keeps its data (a temporary directory unless one was given). */
    public Path dataDir() {
        return dataDir;
    }

    public boolean isClosed() {
        return closed.get();
    }

    /**
     * Creates the topics that do not exist yet, with the given partition counts and replication factor 1, and
     * waits until every partition accepts writes (see {@link TopicReadiness}). Topics that exist are left alone.
     *
     * @throws IllegalStateException if a topic exists with a different partition count, or Kafka does not answer
     *                               within 30 s
     */
    public void createTopics(Map<String, Integer> topicPartitions) {
        List<NewTopic> topics = new ArrayList<>();
        topicPartitions.forEach((name, partitions) -> topics.add(new NewTopic(name, partitions, (short) 1)));
        createTopics(topics);
    }

    /** As {@link #createTopics(Map)}, for topics that need their own configuration (compaction, retention). */
    public void createTopics(Collection<NewTopic> topics) {
        if (topics.isEmpty()) {
            return;
        }
        Admin client = admin();
        long deadline = System.nanoTime() + ADMIN_TIMEOUT.toNanos();
        Map<String, KafkaFuture<Void>> created = client.createTopics(topics).values();
        for (NewTopic topic : topics) {
            try {
                created.get(topic.name()).get(remainingMs(deadline), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException(
                            "cannot create topic " + topic.name() + ": "
                                    + e.getCause().getMessage(),
                            e.getCause());
                }
            } catch (TimeoutException e) {
                throw new IllegalStateException("topic " + topic.name() + " not created within " + ADMIN_TIMEOUT, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while creating topic " + topic.name(), e);
            }
        }
        awaitLeaders(client, topics, deadline);
        TopicReadiness.awaitWritable(
                client, topics.stream().map(NewTopic::name).toList(), Duration.ofMillis(remainingMs(deadline)));
    }

    private void awaitLeaders(Admin client, Collection<NewTopic> topics, long deadline) {
        List<String> names = topics.stream().map(NewTopic::name).toList();
        while (true) {
            List<String> waitingFor = new ArrayList<>();
            try {
                Map<String, TopicDescription> descriptions =
                        client.describeTopics(names).allTopicNames().get(remainingMs(deadline), TimeUnit.MILLISECONDS);
                for (NewTopic topic : topics) {
                    TopicDescription d = descriptions.get(topic.name());
                    if (topic.numPartitions() > 0 && d.partitions().size() != topic.numPartitions()) {
                        throw new IllegalStateException("topic " + topic.name() + " already exists with "
                                + d.partitions().size() + " partitions, not " + topic.numPartitions());
                    }
                    if (d.partitions().stream()
                            .map(TopicPartitionInfo::leader)
                            .anyMatch(l -> l == null || l.isEmpty())) {
                        waitingFor.add(topic.name());
                    }
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw new IllegalStateException(
                            "cannot describe topics " + names + ": "
                                    + e.getCause().getMessage(),
                            e.getCause());
                }
                waitingFor.addAll(names);
            } catch (TimeoutException e) {
                throw new IllegalStateException("topics " + names + " have no leaders within " + ADMIN_TIMEOUT, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for topics " + names, e);
            }
            if (waitingFor.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("topics " + waitingFor + " have no leaders within " + ADMIN_TIMEOUT);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for topics " + names, e);
            }
        }
    }

    private synchronized Admin admin() {
        if (closed.get()) {
            throw new IllegalStateException("devstack is closed");
        }
        if (admin == null) {
            int timeoutMs = Math.toIntExact(ADMIN_TIMEOUT.toMillis());
            admin = Admin.create(Map.of(
                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                    bootstrapServers(),
                    AdminClientConfig.CLIENT_ID_CONFIG,
                    "modelpool-devstack-admin",
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                    timeoutMs,
                    AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG,
                    1000));
        }
        return admin;
    }

    /** Stops the registry, then the broker; deletes a temporary data directory. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            registry.close();
        } finally {
            synchronized (this) {
                if (admin != null) {
                    admin.close(Duration.ofSeconds(2));
                }
            }
            broker.close();
            if (temporary) {
                deleteRecursively(dataDir);
            }
        }
        log.info("Devstack stopped");
    }

    private static long remainingMs(long deadline) {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            log.warn("Could not delete temporary devstack directory {}: {}", dir, e.toString());
        }
    }
}

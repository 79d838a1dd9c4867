package io.modelpool.worker.kafka;

import io.modelpool.kafka.TopicReadiness;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates missing topics at start-up when {@code topics.create} is on (local and test setups; production fleets
 * usually create topics through their own tooling). Existing topics are left as they are.
 */
public final class TopicProvisioner {

    private static final Logger log = LoggerFactory.getLogger(TopicProvisioner.class);

    private TopicProvisioner() {}

    /**
     * Ensures the topics exist.
     *
     * @param adminSettings Kafka client settings, bootstrap servers included
     * @param compacted topics to create with {@code cleanup.policy=compact}
     */
    public static void ensure(
            Map<String, Object> adminSettings,
            Collection<String> topics,
            Set<String> compacted,
            int partitions,
            short replication) {
        Map<String, Object> settings = new java.util.HashMap<>(adminSettings);
        settings.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        try (Admin admin = Admin.create(settings)) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (String t : topics) {
                if (!existing.contains(t)) {
                    NewTopic nt = new NewTopic(t, compacted.contains(t) ? 1 : partitions, replication);
                    if (compacted.contains(t)) {
                        nt.configs(Map.of("cleanup.policy", "compact"));
                    }
                    missing.add(nt);
                }
            }
            if (missing.isEmpty()) {
                return;
            }
            try {
                admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
            TopicReadiness.awaitWritable(
                    admin, missing.stream().map(NewTopic::name).toList(), Duration.ofSeconds(30));
            log.info("Created topics: {}", missing.stream().map(NewTopic::name).toList());
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create topics " + topics + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        }
    }
}

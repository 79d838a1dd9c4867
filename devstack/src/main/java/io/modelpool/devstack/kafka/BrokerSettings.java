package io.modelpool.devstack.kafka;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * What a {@link LocalKafkaBroker} is started with.
 *
 * @param dataDir            where the broker keeps its metadata log and partition logs; formatted on first
 *                           start, reused as-is afterwards
 * @param port               client listener port on 127.0.0.1; 0 picks a free port once, which is then kept
 *                           across {@link LocalKafkaBroker#restart()}
 * @param defaultPartitions  {@code num.partitions}: partitions of auto-created topics
 * @param overrides          further broker properties, applied last (for tests that need an odd setting)
 */
public record BrokerSettings(Path dataDir, int port, int defaultPartitions, Map<String, String> overrides) {

    public BrokerSettings {
        Objects.requireNonNull(dataDir, "dataDir");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("kafka port must be within 0..65535 (0 = any free port), got " + port);
        }
        if (defaultPartitions < 1) {
            throw new IllegalArgumentException("defaultPartitions must be at least 1, got " + defaultPartitions);
        }
        overrides = Map.copyOf(Objects.requireNonNull(overrides, "overrides"));
    }

    public BrokerSettings(Path dataDir, int port, int defaultPartitions) {
        this(dataDir, port, defaultPartitions, Map.of());
    }
}

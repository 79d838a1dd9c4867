package io.modelpool.devstack;

import java.nio.file.Path;

/**
 * How to start a {@link DevStack}.
 *
 * @param dataDir           where the broker keeps its data; null means a temporary directory deleted on close.
 *                          A directory that already holds a stack's data is reused: topics, records, offsets and
 *                          schema ids are where they were left
 * @param kafkaPort         client port of the broker on 127.0.0.1; 0 = any free port
 * @param registryPort      HTTP port of the schema registry on 127.0.0.1; 0 = any free port
 * @param defaultPartitions partitions of topics the broker creates on first use ({@code num.partitions})
 */
public record DevStackOptions(Path dataDir, int kafkaPort, int registryPort, int defaultPartitions) {

    /** The partition count of auto-created topics unless told otherwise. */
    public static final int DEFAULT_PARTITIONS = 3;

    public DevStackOptions {
        if (kafkaPort < 0 || kafkaPort > 65535) {
            throw new IllegalArgumentException(
                    "kafkaPort must be within 0..65535 (0 = any free port), got " + kafkaPort);
        }
        if (registryPort < 0 || registryPort > 65535) {
            throw new IllegalArgumentException(
                    "registryPort must be within 0..65535 (0 = any free port), got " + registryPort);
        }
        if (kafkaPort != 0 && kafkaPort == registryPort) {
            throw new IllegalArgumentException("kafkaPort and registryPort must differ, both are " + kafkaPort);
        }
        if (defaultPartitions < 1) {
            throw new IllegalArgumentException("defaultPartitions must be at least 1, got " + defaultPartitions);
        }
    }

    /** A throw-away stack: temporary data deleted on close, free ports, {@value #DEFAULT_PARTITIONS} partitions. */
    public static DevStackOptions ephemeral() {
        return new DevStackOptions(null, 0, 0, DEFAULT_PARTITIONS);
    }

    /** A stack that keeps its data in {@code dataDir} across restarts, on free ports. */
    public static DevStackOptions persistent(Path dataDir) {
        return new DevStackOptions(dataDir, 0, 0, DEFAULT_PARTITIONS);
    }

    public DevStackOptions withPorts(int kafka, int registry) {
        return new DevStackOptions(dataDir, kafka, registry, defaultPartitions);
    }

    public DevStackOptions withDefaultPartitions(int partitions) {
        return new DevStackOptions(dataDir, kafkaPort, registryPort, partitions);
    }
}

package io.modelpool.worker.it;

import io.modelpool.devstack.DevStack;
import io.modelpool.devstack.SharedDevStack;
import io.modelpool.devstack.registry.SchemaRegistryServer;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The Kafka broker and schema registry the integration tests run against. By default the devstack's in-process
 * KRaft broker and registry. With {@code -Dmodelpool.it.kafka=testcontainers} (Maven profile {@code testcontainers})
 * a real Kafka in a container from {@code org.testcontainers:kafka}, with the devstack registry storing its schemas
 * in it; without a Docker engine those tests are skipped (aborted assumptions), saying why.
 */
interface TestStack {

    String SELECTOR = "modelpool.it.kafka";
    String KAFKA_IMAGE = "apache/kafka:4.3.1";

    String bootstrapServers();

    String schemaRegistryUrl();

    static TestStack current() {
        if ("testcontainers".equals(System.getProperty(SELECTOR))) {
            return Containers.get();
        }
        DevStack devstack = SharedDevStack.get();
        return new TestStack() {
            @Override
            public String bootstrapServers() {
                return devstack.bootstrapServers();
            }

            @Override
            public String schemaRegistryUrl() {
                return devstack.schemaRegistryUrl();
            }
        };
    }

    /** One Kafka container and one registry per test JVM, started on first use, stopped at JVM exit. */
    final class Containers implements TestStack {
        private static Containers instance;
        private final KafkaContainer kafka;
        private final SchemaRegistryServer registry;

        private Containers(KafkaContainer kafka, SchemaRegistryServer registry) {
            this.kafka = kafka;
            this.registry = registry;
        }

        static synchronized Containers get() {
            if (instance == null) {
                if (!DockerClientFactory.instance().isDockerAvailable()) {
                    Assumptions.abort("Docker is not available, so the Testcontainers Kafka run (-D" + SELECTOR
                            + "=testcontainers) is skipped; without that property these tests use the in-process "
                            + "devstack broker");
                }
                KafkaContainer kafka = new KafkaContainer(DockerImageName.parse(KAFKA_IMAGE));
                kafka.start();
                SchemaRegistryServer registry = SchemaRegistryServer.start(kafka.getBootstrapServers(), 0);
                instance = new Containers(kafka, registry);
                Runtime.getRuntime()
                        .addShutdownHook(new Thread(
                                () -> {
                                    registry.close();
                                    kafka.stop();
                                },
                                "testcontainers-stop"));
            }
            return instance;
        }

        @Override
        public String bootstrapServers() {
            return kafka.getBootstrapServers();
        }

        @Override
        public String schemaRegistryUrl() {
            return registry.url();
        }
    }
}

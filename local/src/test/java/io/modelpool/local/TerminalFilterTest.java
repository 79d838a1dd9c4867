package io.modelpool.local;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import org.junit.jupiter.api.Test;

class TerminalFilterTest {

    @Test
    void theTerminalGetsModelpoolsWarningsAndEveryonesErrorsButNoInfoAndNoKafkaWarnings() {
        assertThat(TerminalFilter.shown("io.modelpool.worker.pool.ModelPool", Level.WARN))
                .as("a model that fails to load, the registry down")
                .isTrue();
        assertThat(TerminalFilter.shown("io.modelpool.worker.Worker", Level.ERROR))
                .isTrue();
        assertThat(TerminalFilter.shown("org.apache.kafka.clients.producer.KafkaProducer", Level.ERROR))
                .isTrue();

        assertThat(TerminalFilter.shown("io.modelpool.worker.Worker", Level.INFO))
                .isFalse();
        assertThat(TerminalFilter.shown("org.apache.kafka.streams.KafkaStreams", Level.WARN))
                .isFalse();
        assertThat(TerminalFilter.shown("kafka.server.BrokerServer", Level.WARN))
                .isFalse();
    }
}

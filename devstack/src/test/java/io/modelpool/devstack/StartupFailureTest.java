package io.modelpool.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelpool.devstack.kafka.BrokerSettings;
import io.modelpool.devstack.kafka.LocalKafkaBroker;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start-up failures say what was in the way and leave nothing running behind. */
class StartupFailureTest {

    @TempDir
    Path dataDir;

    @Test
    void aBrokerAskedForAPortInUseFailsNamingThePort() throws IOException {
        try (ServerSocket taken = listen(0)) {
            int port = taken.getLocalPort();

            assertThatThrownBy(() -> LocalKafkaBroker.start(new BrokerSettings(dataDir, port, 1)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("127.0.0.1:" + port);
        }
    }

    @Test
    void aStackWhoseRegistryCannotListenFailsNamingThePortAndStopsItsBroker() throws IOException {
        int kafkaPort;
        try (ServerSocket probe = listen(0)) {
            kafkaPort = probe.getLocalPort();
        }
        try (ServerSocket taken = listen(0)) {
            DevStackOptions options = DevStackOptions.ephemeral().withPorts(kafkaPort, taken.getLocalPort());

            assertThatThrownBy(() -> DevStack.start(options))
                    .hasMessageContaining("schema registry cannot listen on 127.0.0.1:" + taken.getLocalPort());
        }
        try (ServerSocket again = listen(kafkaPort)) {
            assertThat(again.getLocalPort()).as("the broker released its port").isEqualTo(kafkaPort);
        }
    }

    private static ServerSocket listen(int port) throws IOException {
        return new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"));
    }
}

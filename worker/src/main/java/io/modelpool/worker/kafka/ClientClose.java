package io.modelpool.worker.kafka;

import java.time.Duration;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last step of the intake's shutdown: closes the consumer (leaving the group at once, unless static membership
 * keeps it), then the producer, each within what is left of the shutdown's one deadline when its turn comes, so the
 * two together never outlast it. A failed close is logged; the process ends anyway.
 *
 * <p>Runs on the intake thread.
 */
final class ClientClose {

    private static final Logger log = LoggerFactory.getLogger(ClientClose.class);

    private ClientClose() {}

    static void close(Consumer<?, ?> consumer, Producer<?, ?> producer, boolean leaveGroup, Supplier<Duration> left) {
        CloseOptions options = CloseOptions.groupMembershipOperation(
                        leaveGroup
                                ? CloseOptions.GroupMembershipOperation.LEAVE_GROUP
                                : CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP)
                .withTimeout(left.get());
        try {
            consumer.close(options);
        } catch (KafkaException e) {
            log.warn("Closing the consumer failed: {}", e.toString());
        }
        try {
            producer.close(left.get());
        } catch (KafkaException e) {
            log.warn("Closing the producer failed: {}", e.toString());
        }
    }
}

package io.modelpool.cli.kafka;

import io.modelpool.cli.CliException;
import io.modelpool.cli.KafkaConnection;
import java.time.Duration;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;

/** Turns Kafka client and serde failures into one-line messages that say what to check. */
public final class KafkaFailures {
    private KafkaFailures() {}

    /**
     * A {@link CliException} for {@code failure}, met while {@code doing} (for example "reading topic x").
     * The message comes from the first cause in the chain that says what to check (a timeout, a bad
     * setting, refused credentials or access, a serde or registry problem), or else the failure itself.
     * Messages name the broker and registry but never client settings, which may hold secrets.
     */
    public static CliException translate(String doing, Throwable failure, KafkaConnection connection, Duration waited) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            String message = describe(cause, doing, connection, waited);
            if (message != null) {
                return new CliException(message, failure);
            }
        }
        return new CliException(
                "Kafka failure while " + doing + ": " + failure.getClass().getSimpleName()
                        + (failure.getMessage() == null ? "" : ": " + failure.getMessage()),
                failure);
    }

    private static String describe(Throwable cause, String doing, KafkaConnection connection, Duration waited) {
        if (cause instanceof TimeoutException) {
            return "could not reach Kafka at " + connection.bootstrapServers() + " within " + seconds(waited)
                    + " while " + doing + " (is the broker running and reachable?)";
        }
        if (cause instanceof ConfigException) {
            return "Kafka client settings are not valid while " + doing + ": " + cause.getMessage();
        }
        if (cause instanceof AuthenticationException) {
            return "Kafka at " + connection.bootstrapServers() + " refused the credentials while " + doing
                    + " (check --client-config)";
        }
        if (cause instanceof AuthorizationException) {
            return "Kafka at " + connection.bootstrapServers() + " denied access while " + doing + ": "
                    + cause.getMessage();
        }
        if (cause instanceof SerializationException) {
            return "schema registry problem at " + connection.redactedRegistryUrl() + " while " + doing + ": "
                    + cause.getMessage();
        }
        return null;
    }

    static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}

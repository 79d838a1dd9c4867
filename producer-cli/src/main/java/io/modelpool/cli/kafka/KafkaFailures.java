package io.modelpool.cli.kafka;

import io.modelpool.cli.CliException;
import io.modelpool.cli.KafkaConnection;
import java.time.Duration;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;

/** Turns Kafka client and serde failures into one-line messages that say what to check. */
public final class KafkaFailures {
    private KafkaFailures() {
    }

    /**
     * A {@link CliException} for {@code failure}, met while {@code doing} (for example "reading topic x").
     * Messages name the broker and registry but never client settings, which may hold secrets.
     */
    public static CliException translate(String doing, Throwable failure, KafkaConnection connection, Duration waited) {
        Throwable root = failure;
        while (root instanceof KafkaException && root.getCause() != null && !(root instanceof SerializationException)) {
            if (root instanceof ConfigException || root instanceof TimeoutException
                    || root instanceof AuthenticationException || root instanceof AuthorizationException) {
                break;
            }
            root = root.getCause();
        }
        String message;
        if (root instanceof TimeoutException) {
            message = "could not reach Kafka at " + connection.bootstrapServers() + " within "
                    + seconds(waited) + " while " + doing + " (is the broker running and reachable?)";
        } else if (root instanceof ConfigException) {
            message = "Kafka client settings are not valid while " + doing + ": " + root.getMessage();
        } else if (root instanceof AuthenticationException) {
            message = "Kafka at " + connection.bootstrapServers() + " refused the credentials while " + doing
                    + " (check --client-config)";
        } else if (root instanceof AuthorizationException) {
            message = "Kafka at " + connection.bootstrapServers() + " denied access while " + doing + ": "
                    + root.getMessage();
        } else if (root instanceof SerializationException) {
            message = "schema registry problem at " + connection.redactedRegistryUrl() + " while " + doing + ": "
                    + root.getMessage();
        } else {
            message = "Kafka failure while " + doing + ": " + root.getClass().getSimpleName()
                    + (root.getMessage() == null ? "" : ": " + root.getMessage());
        }
        return new CliException(message, failure);
    }

    static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}

package io.modelpool.cli.kafka;

import io.modelpool.cli.KafkaConnection;
import io.modelpool.schemas.Topics;
import io.modelpool.v1.Capability;

/**
 * The topics one text-embedding job uses, named by the contract's {@link Topics}.
 *
 * @param requests where requests are produced
 * @param results where workers publish results
 * @param jobs where jobs are registered
 */
public record JobTopics(String requests, String results, String jobs) {

    /** The text-embedding topics under the connection's prefix. */
    public static JobTopics textEmbedding(KafkaConnection connection) {
        String prefix = connection.topicPrefix();
        return new JobTopics(Topics.requests(prefix, Capability.TEXT_EMBEDDING),
                Topics.results(prefix, Capability.TEXT_EMBEDDING), Topics.jobs(prefix));
    }
}

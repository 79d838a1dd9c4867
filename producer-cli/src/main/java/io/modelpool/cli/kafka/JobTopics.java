package io.modelpool.cli.kafka;

import io.modelpool.cli.KafkaConnection;
import io.modelpool.schemas.Topics;
import io.modelpool.v1.Capability;

/**
 * The topics one text-embedding job uses, named by the contract's {@link Topics}.
 *
 * @param requests where requests are produced: the bulk request topic ({@link Topics#bulkRequests}) where it exists,
 *                 so that a job's backlog never delays interactive requests; the request topic on fleets older
 *                 than it
 * @param results where workers publish results
 * @param jobs where jobs are registered
 */
public record JobTopics(String requests, String results, String jobs) {

    /** The text-embedding topics under the connection's prefix, requests on the bulk request topic. */
    public static JobTopics textEmbedding(KafkaConnection connection) {
        String prefix = connection.topicPrefix();
        return new JobTopics(
                Topics.bulkRequests(prefix, Capability.TEXT_EMBEDDING),
                Topics.results(prefix, Capability.TEXT_EMBEDDING),
                Topics.jobs(prefix));
    }

    /** The interactive request topic, where jobs go when the fleet has no bulk request topic. */
    public String interactiveRequests() {
        return requests.endsWith(Topics.BULK_SUFFIX)
                ? requests.substring(0, requests.length() - Topics.BULK_SUFFIX.length())
                : requests;
    }

    /** These topics with requests produced to {@code topic}. */
    public JobTopics withRequests(String topic) {
        return new JobTopics(topic, results, jobs);
    }
}

package io.modelpool.worker.capability;

/**
 * What the intake knows about a request beyond its Avro value.
 *
 * @param workerId          this worker's id, copied into every result
 * @param recordTimestampMs the request record's Kafka timestamp (epoch ms), the start of {@code endToEndMs};
 *                          0 or less when unknown, in which case the submission time is used
 */
public record RequestContext(String workerId, long recordTimestampMs) {}

package io.modelpool.worker.observe;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.modelpool.schemas.Topics;
import io.modelpool.v1.Capability;
import java.util.Map;
import java.util.function.DoubleSupplier;

/**
 * The autoscaling signal: per capability, the estimated seconds this worker needs to clear the backlog of its
 * assigned request partitions ({@value MeterNames#BACKLOG_SECONDS}). It is the consumer's lag on the capability's
 * request topic and its {@code .bulk} sibling, summed over the assigned partitions, times the recent mean seconds of work one request brought at
 * its model's learned rate. Lag alone says nothing of how long a backlog takes: a request of 64 chunk-sized texts
 * costs hundreds of times a one-sentence request.
 *
 * <p>The lag is read from the Kafka client metrics already bound to the registry
 * ({@code kafka.consumer.fetch.manager.records.lag}, one gauge per partition, refreshed on the metrics thread), so a
 * scrape never touches the consumer. The gauge is 0 while there is no lag, and NaN while there is lag but no rate
 * has been learned yet (no request of that capability has finished since start).
 */
final class BacklogMeters {

    static final String RECORDS_LAG = "kafka.consumer.fetch.manager.records.lag";

    private BacklogMeters() {}

    /**
     * Registers one gauge per capability.
     *
     * @param secondsPerRequest per capability, the recent mean seconds of work one request brings (NaN when unknown)
     */
    static void bind(MeterRegistry registry, String topicPrefix, Map<Capability, DoubleSupplier> secondsPerRequest) {
        secondsPerRequest.forEach((capability, seconds) -> {
            String topic = Topics.requests(topicPrefix, capability);
            String bulk = Topics.bulkRequests(topicPrefix, capability);
            Gauge.builder(
                            MeterNames.BACKLOG_SECONDS,
                            () -> backlogSeconds(registry, topic, seconds) + backlogSeconds(registry, bulk, seconds))
                    .description("Estimated seconds this worker needs to clear the backlog of its assigned request "
                            + "partitions: consumer lag times the recent seconds of work per request")
                    .baseUnit("seconds")
                    .tag(MeterNames.TAG_CAPABILITY, Topics.name(capability))
                    .strongReference(true)
                    .register(registry);
        });
    }

    static double backlogSeconds(MeterRegistry registry, String topic, DoubleSupplier secondsPerRequest) {
        double lag = lag(registry, topic);
        return lag <= 0 ? 0 : lag * secondsPerRequest.getAsDouble();
    }

    /** The summed lag of the topic's assigned partitions; Kafka writes the topic's dots as underscores in the tag. */
    static double lag(MeterRegistry registry, String topic) {
        String tagged = topic.replace('.', '_');
        double sum = 0;
        for (Meter meter : registry.find(RECORDS_LAG).meters()) {
            String t = meter.getId().getTag("topic");
            if (meter.getId().getTag("partition") != null && (topic.equals(t) || tagged.equals(t))) {
                for (var m : meter.measure()) {
                    if (Double.isFinite(m.getValue()) && m.getValue() > 0) {
                        sum += m.getValue();
                    }
                }
            }
        }
        return sum;
    }
}

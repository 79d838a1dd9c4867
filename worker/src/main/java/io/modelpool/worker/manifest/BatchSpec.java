package io.modelpool.worker.manifest;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How a model's tasks are queued and batched. Ignored (one task per run) when the model is batch-invariant,
 * except {@code queue-capacity}.
 *
 * @param maxItems      a batch closes at this many tasks (default 8)
 * @param maxTokens     a batch closes before its padded token count passes this (default 4096)
 * @param maxDelay      how long to wait for a batch to fill, as {@code 2ms}, {@code 500us}, {@code 1s}
 *                      (default 2ms)
 * @param queueCapacity tasks the model's queue holds before submissions are refused as overloaded
 *                      (default 1024)
 * @param sortWindow    queued tasks one worker takes together and sorts by length before cutting batches
 *                      (default 32 x max-items): the wider, the less padding; a worker never takes more than
 *                      its fair share of the queue, so a wide window does not starve the other workers
 */
public record BatchSpec(
        @JsonProperty("max-items") Integer maxItems,
        @JsonProperty("max-tokens") Integer maxTokens,
        @JsonProperty("max-delay") String maxDelay,
        @JsonProperty("queue-capacity") Integer queueCapacity,
        @JsonProperty("sort-window") Integer sortWindow) {

    public BatchSpec {
        maxItems = maxItems == null ? 8 : maxItems;
        maxTokens = maxTokens == null ? 4096 : maxTokens;
        maxDelay = maxDelay == null ? "2ms" : maxDelay;
        queueCapacity = queueCapacity == null ? 1024 : queueCapacity;
        sortWindow = sortWindow == null ? 32 * maxItems : sortWindow;
    }

    public static BatchSpec defaults() {
        return new BatchSpec(null, null, null, null, null);
    }
}

package io.modelpool.worker.capability;

import io.modelpool.v1.RequestPriority;
import java.time.Instant;

/**
 * The fields every request of the contract carries, read by the capability that owns the request through its
 * generated getters: the request's envelope. The intake reads a request through it (the job id for withdrawal, the
 * priority for the bulk share, the model for its logs) instead of looking fields up by name.
 *
 * @param id       the request id
 * @param jobId    null when the request belongs to no job
 * @param model    the model key the request names; null when the request names none
 * @param deadline null when the request has none
 * @param priority null when the request leaves it unset (see {@link RequestPriorities})
 */
public record RequestFields(String id, String jobId, String model, Instant deadline, RequestPriority priority) {}

package io.modelpool.worker.pool;

/** A finished task's output and timing, as delivered by {@link ModelPool#submit(String, Object)}'s future. */
public record Completed<O>(O output, TaskTiming timing) {}

/**
 * Benchmarks for modelpool: the text-embedding throughput harness ({@link io.modelpool.bench.EmbeddingBench}),
 * which measures the LangChain4j baseline, hand-written ONNX Runtime loops (the ceilings) and the worker's
 * model pool on one deterministic corpus, in one JVM, alternating, and writes {@code docs/benchmarks.md}.
 *
 * <p>Owns: the corpus generator, the raw ONNX Runtime loops, the contenders' adapters, the pass schedule,
 * the statistics and the report. Must not be imported by any other module, and must not reach into the
 * worker's internals beyond its public capability and pool entry points: the benchmark measures what a
 * caller of the worker gets. Nothing here runs in {@code ./mvnw verify}.
 */
package io.modelpool.bench;

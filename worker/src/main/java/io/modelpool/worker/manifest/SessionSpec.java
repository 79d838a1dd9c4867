package io.modelpool.worker.manifest;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Set;

/**
 * ONNX Runtime session settings for each of a model's workers.
 *
 * @param intraOpThreads    threads inside one operator (default 1: one single-thread session per worker
 *                          scales best on small CPUs)
 * @param interOpThreads    threads across operators (default 1)
 * @param optimizationLevel {@code disabled|basic|extended|all} (default all)
 * @param executionMode     {@code sequential|parallel} (default sequential)
 * @param cuda              add the CUDA execution provider when the onnxruntime_gpu build and a GPU are
 *                          present; otherwise the CPU runs it and a warning is logged (default false)
 */
public record SessionSpec(
        @JsonProperty("intra-op-threads") Integer intraOpThreads,
        @JsonProperty("inter-op-threads") Integer interOpThreads,
        @JsonProperty("optimization-level") String optimizationLevel,
        @JsonProperty("execution-mode") String executionMode,
        @JsonProperty("cuda") Boolean cuda) {

    public static final Set<String> OPTIMIZATION_LEVELS = Set.of("disabled", "basic", "extended", "all");
    public static final Set<String> EXECUTION_MODES = Set.of("sequential", "parallel");

    public SessionSpec {
        intraOpThreads = intraOpThreads == null ? 1 : intraOpThreads;
        interOpThreads = interOpThreads == null ? 1 : interOpThreads;
        optimizationLevel = optimizationLevel == null ? "all" : optimizationLevel;
        executionMode = executionMode == null ? "sequential" : executionMode;
        cuda = cuda != null && cuda;
    }

    public static SessionSpec defaults() {
        return new SessionSpec(null, null, null, null, null);
    }
}

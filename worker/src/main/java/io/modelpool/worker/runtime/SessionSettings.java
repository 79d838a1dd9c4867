package io.modelpool.worker.runtime;

import ai.onnxruntime.OrtSession.SessionOptions.ExecutionMode;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import io.modelpool.worker.manifest.SessionSpec;
import java.util.Locale;

/**
 * Options for one inference session.
 *
 * @param intraOpThreads threads inside an operator; 1 runs the session on the caller's thread only
 * @param interOpThreads threads across operators (used in parallel execution mode)
 * @param optLevel       graph optimisation level
 * @param executionMode  sequential or parallel operator execution
 * @param cuda           ask for the CUDA execution provider (used only when the runtime offers it)
 */
public record SessionSettings(
        int intraOpThreads, int interOpThreads, OptLevel optLevel, ExecutionMode executionMode, boolean cuda) {

    public SessionSettings {
        if (intraOpThreads < 1 || interOpThreads < 1) {
            throw new IllegalArgumentException(
                    "thread counts must be >= 1, got intra-op " + intraOpThreads + ", inter-op " + interOpThreads);
        }
    }

    /** Single-threaded, fully optimised, sequential, CPU: the layout that scales best per worker. */
    public static SessionSettings singleThread() {
        return new SessionSettings(1, 1, OptLevel.ALL_OPT, ExecutionMode.SEQUENTIAL, false);
    }

    /** From a validated manifest entry. */
    public static SessionSettings from(SessionSpec spec) {
        OptLevel level = switch (spec.optimizationLevel().toLowerCase(Locale.ROOT)) {
            case "disabled" -> OptLevel.NO_OPT;
            case "basic" -> OptLevel.BASIC_OPT;
            case "extended" -> OptLevel.EXTENDED_OPT;
            case "all" -> OptLevel.ALL_OPT;
            default ->
                throw new IllegalArgumentException("optimization-level = '" + spec.optimizationLevel()
                        + "' is invalid; allowed: disabled|basic|extended|all");
        };
        ExecutionMode mode = switch (spec.executionMode().toLowerCase(Locale.ROOT)) {
            case "sequential" -> ExecutionMode.SEQUENTIAL;
            case "parallel" -> ExecutionMode.PARALLEL;
            default ->
                throw new IllegalArgumentException(
                        "execution-mode = '" + spec.executionMode() + "' is invalid; allowed: sequential|parallel");
        };
        return new SessionSettings(spec.intraOpThreads(), spec.interOpThreads(), level, mode, spec.cuda());
    }
}

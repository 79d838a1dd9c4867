package io.modelpool.cli;

import io.modelpool.v1.JobStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** How {@code modelpool status} and {@code modelpool wait} put a job's progress into words. */
public final class JobStatusTable {

    static final String HEADER = String.format(
            Locale.ROOT,
            "%-36s %-10s %17s %7s %10s %9s %9s  %s",
            "JOB",
            "STATE",
            "DONE/EXPECTED",
            "DONE%",
            "SUCCEEDED",
            "FAILED",
            "RATE/s",
            "FAILURES");

    private JobStatusTable() {}

    /** The header line and one line per job. */
    public static List<String> lines(List<JobStatus> jobs) {
        List<String> lines = new ArrayList<>();
        lines.add(HEADER);
        for (JobStatus s : jobs) {
            lines.add(line(s));
        }
        return lines;
    }

    static String line(JobStatus s) {
        long done = done(s);
        String expected = s.getExpectedCount() < 0 ? "?" : Long.toString(s.getExpectedCount());
        return String.format(
                Locale.ROOT,
                "%-36s %-10s %17s %7s %10d %9d %9.1f  %s",
                s.getJobId(),
                s.getState(),
                done + "/" + expected,
                percent(s),
                s.getSucceeded(),
                s.getFailed(),
                s.getResultsPerSecond(),
                failures(s));
    }

    static long done(JobStatus s) {
        return s.getSucceeded() + s.getFailed();
    }

    /** {@code 42.0%}, or {@code ?} while the expected count is unknown. */
    public static String percent(JobStatus s) {
        if (s.getExpectedCount() <= 0) {
            return s.getExpectedCount() == 0 ? "100.0%" : "?";
        }
        double pct = Math.min(100.0, 100.0 * done(s) / s.getExpectedCount());
        return String.format(Locale.ROOT, "%.1f%%", Math.floor(pct * 10) / 10);
    }

    /** {@code EMPTY_INPUT=7, INPUT_TOO_LARGE=3}, most frequent first; {@code -} when nothing failed. */
    public static String failures(JobStatus s) {
        if (s.getFailuresByCode().isEmpty()) {
            return "-";
        }
        List<Map.Entry<String, Long>> byCount = new ArrayList<>(new TreeMap<>(s.getFailuresByCode()).entrySet());
        byCount.sort((a, b) -> Long.compare(b.getValue(), a.getValue()));
        List<String> parts = new ArrayList<>();
        byCount.forEach(e -> parts.add(e.getKey() + "=" + e.getValue()));
        return String.join(", ", parts);
    }

    /** Time left at the job's own throughput, or null when it cannot be told yet. */
    public static Duration eta(JobStatus s) {
        long left = s.getExpectedCount() - done(s);
        if (s.getExpectedCount() < 0 || s.getResultsPerSecond() <= 0) {
            return null;
        }
        return Duration.ofMillis((long) Math.ceil(Math.max(0, left) * 1000.0 / s.getResultsPerSecond()));
    }
}

package io.modelpool.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One contender's measured passes: sentences per second of wall-clock time (the figure that counts), and
 * sentences per second of this process's CPU time (a check: on a machine shared with other work, a pass's
 * wall time depends on what else ran, while its CPU time mostly does not).
 */
final class PassStats {

    private final List<Double> wallRates = new ArrayList<>();
    private final List<Double> cpuRates = new ArrayList<>();

    void add(double sentencesPerWallSecond, double sentencesPerCpuSecond) {
        wallRates.add(sentencesPerWallSecond);
        cpuRates.add(sentencesPerCpuSecond);
    }

    List<Double> samples() {
        return Collections.unmodifiableList(wallRates);
    }

    int count() {
        return wallRates.size();
    }

    double median() {
        return median(wallRates);
    }

    double min() {
        return wallRates.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    double max() {
        return wallRates.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    /** The median of sentences per CPU-second of the whole process. */
    double cpuMedian() {
        return median(cpuRates);
    }

    /** The median of {@code this[i] / other[i]} over the passes both ran: the ratio of contenders measured side by side. */
    double medianPairedRatio(PassStats other) {
        int n = Math.min(count(), other.count());
        List<Double> ratios = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ratios.add(wallRates.get(i) / other.wallRates.get(i));
        }
        return median(ratios);
    }

    static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int mid = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(mid) : (sorted.get(mid - 1) + sorted.get(mid)) / 2;
    }
}

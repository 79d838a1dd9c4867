package io.modelpool.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Throughput samples of one contender, one per measured pass, in sentences per second. */
final class PassStats {

    private final List<Double> sentencesPerSecond = new ArrayList<>();

    void add(double rate) {
        sentencesPerSecond.add(rate);
    }

    List<Double> samples() {
        return Collections.unmodifiableList(sentencesPerSecond);
    }

    int count() {
        return sentencesPerSecond.size();
    }

    double median() {
        return median(sentencesPerSecond);
    }

    double min() {
        return sentencesPerSecond.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    double max() {
        return sentencesPerSecond.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    /** The median of {@code this[i] / other[i]} over the passes both ran: the ratio of contenders measured side by side. */
    double medianPairedRatio(PassStats other) {
        int n = Math.min(count(), other.count());
        List<Double> ratios = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ratios.add(sentencesPerSecond.get(i) / other.sentencesPerSecond.get(i));
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

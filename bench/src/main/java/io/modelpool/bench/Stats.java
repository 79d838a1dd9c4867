package io.modelpool.bench;

import java.util.Arrays;

/** Small statistics and argument helpers shared by the benchmark mains. */
final class Stats {

    private Stats() {}

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    static double min(double[] v) {
        return Arrays.stream(v).min().orElse(0);
    }

    static double max(double[] v) {
        return Arrays.stream(v).max().orElse(0);
    }

    /** The p-th percentile (nearest rank) of {@code values}. */
    static double percentile(long[] values, int p) {
        if (values.length == 0) {
            return 0;
        }
        long[] v = values.clone();
        Arrays.sort(v);
        int idx = Math.min(v.length - 1, (int) Math.ceil(p / 100.0 * v.length) - 1);
        return v[Math.max(0, idx)];
    }

    /** The integer after {@code name} in {@code args}, or {@code fallback}. */
    static int intArg(String[] args, String name, int fallback) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return fallback;
    }
}

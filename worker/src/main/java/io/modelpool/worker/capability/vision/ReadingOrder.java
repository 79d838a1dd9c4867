package io.modelpool.worker.capability.vision;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Sorts text boxes top to bottom, then left to right, as PP-OCR's {@code sorted_boxes} does: by the top-left
 * corner's y then x, then one pass that swaps neighbours whose tops are within 10 pixels of each other but
 * stand right-to-left, so boxes of one visual line read left to right.
 */
final class ReadingOrder {

    private static final float SAME_LINE = 10f;

    private ReadingOrder() {
    }

    static List<float[]> sort(List<float[]> boxes) {
        List<float[]> sorted = new ArrayList<>(boxes);
        sorted.sort(Comparator.<float[]>comparingDouble(b -> b[1]).thenComparingDouble(b -> b[0]));
        for (int i = 0; i < sorted.size() - 1; i++) {
            for (int j = i; j >= 0; j--) {
                float[] a = sorted.get(j);
                float[] b = sorted.get(j + 1);
                if (Math.abs(b[1] - a[1]) < SAME_LINE && b[0] < a[0]) {
                    sorted.set(j, b);
                    sorted.set(j + 1, a);
                } else {
                    break;
                }
            }
        }
        return sorted;
    }
}

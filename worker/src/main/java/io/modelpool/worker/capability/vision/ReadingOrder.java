package io.modelpool.worker.capability.vision;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Sorts text boxes into reading order: visual lines top to bottom, boxes left to right within a line.
 *
 * <p>PP-OCR's {@code sorted_boxes} compares the boxes' top-left corners and treats tops within 10 pixels as one
 * line, which breaks on tilted pages: two degrees over a 1,500 pixel line lift its right end 50 pixels, so a box
 * at the end of a line sorts before the line's start. Here a box joins a line when its centre lies within half
 * the line's height of the line's axis, the straight line through the centre of the line's widest box along
 * that box's top edge (at most about 11 degrees steep), extended to the new box's centre; the lines are then
 * ordered by where their axes cross the leftmost box centre. Boxes are taken by their centres' height, so the
 * widest box of a line, which fixes its axis, is usually met first.
 */
final class ReadingOrder {

    private static final double MAX_SLOPE = 0.2;

    private ReadingOrder() {}

    /** A visual line: its boxes and the axis of its widest box. */
    private static final class Row {
        final List<float[]> boxes = new ArrayList<>();
        double cx;
        double cy;
        double slope;
        double height;
        double width;

        void add(float[] box) {
            boxes.add(box);
            double w = Math.hypot(box[2] - box[0], box[3] - box[1]);
            if (w > width) {
                width = w;
                cx = centreX(box);
                cy = centreY(box);
                double dx = box[2] - box[0];
                // a line tilted more than about 11 degrees is not a page's text line: it reads as level
                slope = Math.abs(dx) < 1e-6 ? 0 : Math.max(-MAX_SLOPE, Math.min(MAX_SLOPE, (box[3] - box[1]) / dx));
                height = Math.hypot(box[6] - box[0], box[7] - box[1]);
            }
        }

        /** The axis's height at {@code x}. */
        double yAt(double x) {
            return cy + slope * (x - cx);
        }
    }

    static List<float[]> sort(List<float[]> boxes) {
        List<float[]> byHeight = new ArrayList<>(boxes);
        byHeight.sort(
                Comparator.<float[]>comparingDouble(ReadingOrder::centreY).thenComparingDouble(ReadingOrder::centreX));
        List<Row> rows = new ArrayList<>();
        for (float[] box : byHeight) {
            Row best = null;
            double bestDistance = Double.MAX_VALUE;
            for (Row row : rows) {
                double distance = Math.abs(centreY(box) - row.yAt(centreX(box)));
                double boxHeight = Math.hypot(box[6] - box[0], box[7] - box[1]);
                if (distance < 0.5 * Math.min(row.height, boxHeight) && distance < bestDistance) {
                    best = row;
                    bestDistance = distance;
                }
            }
            if (best == null) {
                best = new Row();
                rows.add(best);
            }
            best.add(box);
        }
        double left = byHeight.stream().mapToDouble(ReadingOrder::centreX).min().orElse(0);
        rows.sort(Comparator.comparingDouble(r -> r.yAt(left)));
        List<float[]> sorted = new ArrayList<>(boxes.size());
        for (Row row : rows) {
            row.boxes.sort(Comparator.comparingDouble(ReadingOrder::centreX));
            sorted.addAll(row.boxes);
        }
        return sorted;
    }

    private static double centreX(float[] b) {
        return (b[0] + b[2] + b[4] + b[6]) / 4.0;
    }

    private static double centreY(float[] b) {
        return (b[1] + b[3] + b[5] + b[7]) / 4.0;
    }
}

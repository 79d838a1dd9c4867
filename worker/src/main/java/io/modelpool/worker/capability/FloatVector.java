package io.modelpool.worker.capability;

import java.util.AbstractList;
import java.util.RandomAccess;

/**
 * A read-only {@code List<Float>} view over a {@code float[]}, so an Avro {@code array<float>} field can be
 * set from a model output without boxing and copying every element up front. The array must not change
 * after it is wrapped.
 */
public final class FloatVector extends AbstractList<Float> implements RandomAccess {

    private final float[] values;

    public FloatVector(float[] values) {
        this.values = values;
    }

    @Override
    public Float get(int index) {
        return values[index];
    }

    @Override
    public int size() {
        return values.length;
    }

    /** The backing array (not a copy). */
    public float[] values() {
        return values;
    }
}

package org.peft4j.merge.method;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * Per-input merge weights {@code w_i}, validated once (finite, at least one) and broadcast against a
 * stack {@code [T, ...]}.
 */
public final class Weights {

    private final double[] values;

    private Weights(double[] values) {
        this.values = values;
    }

    /**
     * Creates weights.
     *
     * @param values one finite weight per input
     * @return the weights
     * @throws IllegalArgumentException if empty or not finite
     */
    public static Weights of(double... values) {
        if (values == null || values.length == 0) {
            throw new IllegalArgumentException("weights must hold one value per input, got none");
        }
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw new IllegalArgumentException("weights[" + i + "] must be finite, got " + values[i]);
            }
        }
        return new Weights(values.clone());
    }

    /**
     * Equal weights {@code 1, 1, ..., 1}.
     *
     * @param count number of inputs
     * @return the weights
     */
    public static Weights ones(int count) {
        double[] w = new double[count];
        Arrays.fill(w, 1.0);
        return of(w);
    }

    /**
     * @return number of inputs
     */
    public int size() {
        return values.length;
    }

    /**
     * @param i input index
     * @return weight of input {@code i}
     */
    public double get(int i) {
        return values[i];
    }

    /**
     * @return sum of the weights
     */
    public double sum() {
        double s = 0;
        for (double v : values) {
            s += v;
        }
        return s;
    }

    /**
     * @return whether every weight is exactly 1 (a weighted sum is then a plain sum)
     */
    public boolean allOnes() {
        for (double v : values) {
            if (v != 1.0) {
                return false;
            }
        }
        return true;
    }

    /**
     * @return a copy of the values
     */
    public double[] toArray() {
        return values.clone();
    }

    /**
     * Checks that a merge was given one input model per weight.
     *
     * @param inputCount the number of input models
     * @throws IllegalArgumentException if it differs from the number of weights
     */
    public void requireInputModels(int inputCount) {
        if (inputCount != values.length) {
            throw new IllegalArgumentException(
                    "weights has " + values.length + " values but " + inputCount + " input models were given");
        }
    }

    /**
     * Checks that a stack has one task per weight.
     *
     * @param stacked {@code [T, ...]}
     * @throws IllegalArgumentException if {@code T} differs from the number of weights
     */
    public void requireMatches(NDArray stacked) {
        long t = stacked.getShape().get(0);
        if (t != values.length) {
            throw new IllegalArgumentException(
                    "weights has " + values.length + " values but " + t + " task tensors were given");
        }
    }

    /**
     * The weights as a float32 array shaped {@code [T, 1, ..., 1]} to broadcast against {@code
     * stacked}, created in {@code stacked}'s manager.
     *
     * @param stacked {@code [T, ...]}
     * @return {@code [T, 1, ..., 1]} float32
     */
    public NDArray broadcastTo(NDArray stacked) {
        requireMatches(stacked);
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) values[i];
        }
        long[] dims = new long[stacked.getShape().dimension()];
        Arrays.fill(dims, 1L);
        dims[0] = values.length;
        return stacked.getManager().create(f, new Shape(dims));
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return Arrays.toString(values);
    }
}

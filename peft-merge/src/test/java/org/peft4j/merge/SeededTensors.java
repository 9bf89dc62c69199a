package org.peft4j.merge;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;

/** Deterministic test tensors from a seeded generator (DJL's engine RNG is global state). */
public final class SeededTensors {

    private SeededTensors() {}

    /**
     * Gaussian values.
     *
     * @param seed generator seed
     * @param std standard deviation
     * @param dims shape
     * @return row-major values
     */
    public static float[] gaussian(long seed, double std, long... dims) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[Math.toIntExact(new Shape(dims).size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * std);
        }
        return v;
    }

    /**
     * Gaussian array.
     *
     * @param manager owner
     * @param seed generator seed
     * @param std standard deviation
     * @param dims shape
     * @return float32 array
     */
    public static NDArray gaussian(NDManager manager, long seed, double std, long... dims) {
        return manager.create(gaussian(seed, std, dims), new Shape(dims));
    }
}

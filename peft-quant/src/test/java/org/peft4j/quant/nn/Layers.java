package org.peft4j.quant.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.peft4j.core.nn.DenseLinear;
import org.peft4j.core.nn.DenseWeights;

import java.util.Random;

/** Deterministic dense layers and inputs for the layer tests. */
final class Layers {

    private Layers() {}

    static float[] normal(int n, long seed, float scale) {
        Random random = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian() * scale;
        }
        return x;
    }

    static NDArray normal(NDManager m, long seed, float scale, long... shape) {
        Shape s = new Shape(shape);
        return m.create(normal((int) s.size(), seed, scale), s);
    }

    /** A float32 dense layer with N(0, 1) weights and, optionally, N(0, 0.1) bias. */
    static DenseLinear dense(NDManager m, int in, int out, boolean bias, long seed) {
        DenseLinear layer = new DenseLinear(in, out, bias);
        layer.initialize(m, DataType.FLOAT32);
        try (NDManager scratch = m.newSubManager()) {
            layer.setWeight(normal(scratch, seed, 1f, out, in));
            if (bias) {
                DenseWeights.assign(layer.bias().getArray(), normal(scratch, seed + 1, 0.1f, out));
            }
        }
        return layer;
    }
}

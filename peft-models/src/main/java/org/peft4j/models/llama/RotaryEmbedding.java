package org.peft4j.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * Rotary position embeddings (Su et al. 2021, RoFormer) in the layout Hugging Face's Llama uses:
 * dimension pairs {@code (i, i + d/2)} rotate by angle {@code p·f_i} with {@code f_i = 1 /
 * theta^(2i/d)}, {@code theta = rope_theta}. For a query or key vector {@code x} at position {@code
 * p}: {@code x·cos + rotate_half(x)·sin} with {@code rotate_half([a, b]) = [-b, a]} and {@code cos},
 * {@code sin} of the angles repeated over both halves.
 *
 * <p>Not a block: it has no parameters (HF's {@code inv_freq} is a non-persistent buffer, never in
 * a checkpoint). Arrays it makes live in the manager passed in.
 */
public final class RotaryEmbedding {

    private final int dim;
    private final float[] inverseFrequencies;

    /**
     * Creates the embedding of a head size.
     *
     * @param dim the rotated width (the head size), even
     * @param theta {@code rope_theta}, e.g. 10000 (Llama 2) or 500000 (Llama 3)
     * @param scaling {@code rope_scaling}, or null
     */
    public RotaryEmbedding(int dim, double theta, RopeScaling scaling) {
        if (dim <= 0 || dim % 2 != 0) {
            throw new IllegalArgumentException("rotary dimension must be positive and even, got " + dim);
        }
        if (!(theta > 1)) {
            throw new IllegalArgumentException("rope_theta must be > 1, got " + theta);
        }
        this.dim = dim;
        double[] f = new double[dim / 2];
        for (int i = 0; i < f.length; i++) {
            f[i] = 1.0 / Math.pow(theta, (2.0 * i) / dim);
        }
        if (scaling != null) {
            scaling.apply(f);
        }
        inverseFrequencies = new float[f.length];
        for (int i = 0; i < f.length; i++) {
            inverseFrequencies[i] = (float) f[i];
        }
    }

    /**
     * Returns the inverse frequencies {@code f_i}, {@code [d/2]}.
     *
     * @return a copy
     */
    public float[] inverseFrequencies() {
        return inverseFrequencies.clone();
    }

    /**
     * Computes the cosines and sines for positions {@code 0..length-1}.
     *
     * @param manager where the arrays are created
     * @param length the number of positions
     * @return {@code NDList(cos, sin)}, each {@code [1, 1, length, d]} float32
     */
    public NDList cosSin(NDManager manager, long length) {
        NDArray positions = manager.arange(0, (int) length, 1, DataType.FLOAT32).reshape(length, 1);
        NDArray freqs = positions.mul(manager.create(inverseFrequencies).reshape(1, dim / 2));
        NDArray angles = freqs.concat(freqs, 1).reshape(1, 1, length, dim);
        return new NDList(angles.cos(), angles.sin());
    }

    /**
     * Rotates query or key vectors.
     *
     * @param x {@code [B, heads, T, d]}
     * @param cos {@code [1, 1, T, d]} from {@link #cosSin}
     * @param sin {@code [1, 1, T, d]} from {@link #cosSin}
     * @return the rotated vectors, same shape, in {@code x}'s manager
     */
    public static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        long half = x.getShape().get(x.getShape().dimension() - 1) / 2;
        NDArray first = x.get("..., :" + half);
        NDArray second = x.get("..., " + half + ":");
        NDArray rotated = second.neg().concat(first, -1);
        return x.mul(cos).add(rotated.mul(sin));
    }
}

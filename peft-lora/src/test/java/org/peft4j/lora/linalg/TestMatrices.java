package org.peft4j.lora.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.peft4j.lora.testing.KnownSpectrum;

import java.util.SplittableRandom;

/**
 * Matrices with known structure for the decomposition tests, built in plain Java in double
 * precision so that the expected values (singular values, rank) are known independently of the
 * code under test.
 */
final class TestMatrices {

    private TestMatrices() {}

    /** Row-major {@code [m, n]} standard-normal entries from {@code seed}. */
    static float[] gaussian(long seed, int m, int n) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] entries = new float[m * n];
        for (int i = 0; i < entries.length; i++) {
            entries[i] = (float) random.nextGaussian();
        }
        return entries;
    }

    /**
     * {@code W = U · diag(s) · Vᵀ} with random orthonormal {@code U [m, s.length]} and
     * {@code V [n, s.length]}: a row-major {@code [m, n]} matrix whose singular values are exactly
     * {@code s} (up to the final rounding to float32).
     */
    static float[] withSingularValues(long seed, int m, int n, double[] s) {
        return KnownSpectrum.of(seed, m, n, s).weight();
    }

    /** {@code A · B} with Gaussian {@code A [m, r]}, {@code B [r, n]}: rank {@code r} exactly. */
    static float[] lowRank(long seed, int m, int n, int r) {
        float[] a = gaussian(seed, m, r);
        float[] b = gaussian(seed + 1, r, n);
        float[] w = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int t = 0; t < r; t++) {
                    sum += (double) a[i * r + t] * b[t * n + j];
                }
                w[i * n + j] = (float) sum;
            }
        }
        return w;
    }

    /** {@code s_i = first · ratio^i}, {@code i = 0 .. count - 1}: a geometrically decaying spectrum. */
    static double[] geometric(double first, double ratio, int count) {
        double[] s = new double[count];
        for (int i = 0; i < count; i++) {
            s[i] = first * Math.pow(ratio, i);
        }
        return s;
    }

    /** {@code sqrt(sum_{i >= k} s_i²) / sqrt(sum_i s_i²)}: the Eckart–Young rank-k relative error. */
    static double tailRatio(double[] s, int k) {
        double tail = 0;
        double all = 0;
        for (int i = 0; i < s.length; i++) {
            all += s[i] * s[i];
            if (i >= k) {
                tail += s[i] * s[i];
            }
        }
        return Math.sqrt(tail / all);
    }

    static NDArray matrix(NDManager manager, float[] entries, int m, int n) {
        return manager.create(entries, new Shape(m, n));
    }

    /** Entry {@code [i, j]} of a row-major array with {@code cols} columns. */
    static float at(float[] entries, int cols, int i, int j) {
        return entries[i * cols + j];
    }
}

package org.peft4j.lora.testing;

import java.util.SplittableRandom;

/**
 * A matrix {@code W = U · diag(s) · Vᵀ} built in plain Java in double precision from random
 * orthonormal {@code U [m, k]} and {@code V [n, k]}, so that its singular triplets are known
 * independently of the code under test.
 */
public final class KnownSpectrum {

    private final double[][] u;
    private final double[] s;
    private final double[][] v;

    private KnownSpectrum(double[][] u, double[] s, double[][] v) {
        this.u = u;
        this.s = s;
        this.v = v;
    }

    /**
     * Builds {@code W = U · diag(s) · Vᵀ} with {@code U}, {@code V} from {@code seed} and {@code
     * seed + 1}.
     *
     * @param seed the seed of {@code U} ({@code V} uses {@code seed + 1})
     * @param m rows of {@code W}
     * @param n columns of {@code W}
     * @param s the singular values, {@code s.length <= min(m, n)}
     * @return the matrix's factors
     */
    public static KnownSpectrum of(long seed, int m, int n, double[] s) {
        return new KnownSpectrum(orthonormalColumns(seed, m, s.length), s.clone(), orthonormalColumns(seed + 1, n, s.length));
    }

    /**
     * Returns {@code W} rounded once to float32.
     *
     * @return row-major {@code [m, n]}
     */
    public float[] weight() {
        double[] w = truncated(s.length);
        float[] rounded = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            rounded[i] = (float) w[i];
        }
        return rounded;
    }

    /**
     * Returns the best rank-{@code r} approximation {@code U_r · diag(s_r) · V_rᵀ} (Eckart–Young).
     *
     * @param r the rank
     * @return row-major {@code [m, n]}, double precision
     */
    public double[] truncated(int r) {
        int m = u.length;
        int n = v.length;
        double[] w = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int t = 0; t < r; t++) {
                    sum += u[i][t] * s[t] * v[j][t];
                }
                w[i * n + j] = sum;
            }
        }
        return w;
    }

    /**
     * Returns the left singular vectors.
     *
     * @return {@code U [m, k]}, orthonormal columns (a copy)
     */
    public double[][] left() {
        double[][] copy = new double[u.length][];
        for (int i = 0; i < u.length; i++) {
            copy[i] = u[i].clone();
        }
        return copy;
    }

    /** Orthonormal columns by modified Gram–Schmidt, applied twice for full double accuracy. */
    private static double[][] orthonormalColumns(long seed, int rows, int cols) {
        SplittableRandom random = new SplittableRandom(seed);
        double[][] q = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                q[i][j] = random.nextGaussian();
            }
        }
        for (int pass = 0; pass < 2; pass++) {
            for (int j = 0; j < cols; j++) {
                for (int p = 0; p < j; p++) {
                    double dot = 0;
                    for (int i = 0; i < rows; i++) {
                        dot += q[i][p] * q[i][j];
                    }
                    for (int i = 0; i < rows; i++) {
                        q[i][j] -= dot * q[i][p];
                    }
                }
                double norm = 0;
                for (int i = 0; i < rows; i++) {
                    norm += q[i][j] * q[i][j];
                }
                norm = Math.sqrt(norm);
                for (int i = 0; i < rows; i++) {
                    q[i][j] /= norm;
                }
            }
        }
        return q;
    }
}

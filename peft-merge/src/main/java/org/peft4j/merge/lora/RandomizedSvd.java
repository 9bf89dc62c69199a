package org.peft4j.merge.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;

/**
 * Truncated SVD by a randomized range finder (Halko, Martinsson and Tropp, SIAM Review 2011,
 * Algorithms 4.4 and 5.1) on DJL matmul, so it runs on the matrix's device; only {@code k x k}
 * Gram matrices ({@code k = rank + oversampling}) leave the device, to be decomposed by {@link
 * SymmetricEigen}. Bases are orthonormalised through the eigen-decomposition of their Gram matrix,
 * twice, dropping directions with relative energy below 1e-20 (so a matrix of exact rank below
 * {@code k} is handled). The work is done in float64; results are float32.
 *
 * <p>When the matrix's rank is at most {@code k} the result is exact up to rounding; otherwise the
 * error decays with the power iterations (Halko et al., Corollary 10.10). The Gaussian test matrix
 * comes from a seeded {@link SplittableRandom}, so results are reproducible. Factors are not
 * bit-identical to a LAPACK SVD, and singular vectors have arbitrary signs.
 *
 * @param oversampling extra columns of the sketch, {@code >= 0} (default 10)
 * @param powerIterations subspace iterations, {@code >= 0} (default 4)
 * @param seed seed of the Gaussian test matrix
 */
public record RandomizedSvd(int oversampling, int powerIterations, long seed) implements LowRankFactorizer {

    /** Relative Gram eigenvalue below which a sketch direction is dropped (singular ratio 1e-10). */
    private static final double DROP = 1e-20;

    /** Validates. */
    public RandomizedSvd {
        if (oversampling < 0) {
            throw new IllegalArgumentException("oversampling must be >= 0, got " + oversampling);
        }
        if (powerIterations < 0) {
            throw new IllegalArgumentException("powerIterations must be >= 0, got " + powerIterations);
        }
    }

    /**
     * @return oversampling 10, 4 power iterations, seed 0
     */
    public static RandomizedSvd defaults() {
        return new RandomizedSvd(10, 4, 0L);
    }

    /** {@inheritDoc} */
    @Override
    public TruncatedSvd factorize(NDArray matrix, int rank) {
        Shape shape = matrix.getShape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException("matrix must be 2-D [m, n], got shape " + shape);
        }
        long m = shape.get(0);
        long n = shape.get(1);
        if (rank < 1 || rank > Math.min(m, n)) {
            throw new IllegalArgumentException(
                    "rank must be in [1, min(m, n)] = [1, " + Math.min(m, n) + "], got " + rank);
        }
        int k = (int) Math.min(rank + (long) oversampling, Math.min(m, n));
        NDManager owner = matrix.getManager();
        try (NDManager scratch = owner.newSubManager()) {
            NDArray x = matrix.toType(DataType.FLOAT64, true);
            x.attach(scratch);
            NDArray xt = x.transpose();
            NDArray q = orthonormalize(x.matMul(gaussian(scratch, n, k)));
            for (int it = 0; it < powerIterations && q.getShape().get(1) > 0; it++) {
                NDArray z = orthonormalize(xt.matMul(q));
                q = orthonormalize(x.matMul(z));
            }
            int kept = (int) q.getShape().get(1);
            NDArray u;
            NDArray s;
            NDArray vh;
            if (kept == 0) {
                u = scratch.zeros(new Shape(m, rank), DataType.FLOAT32);
                s = scratch.zeros(new Shape(rank), DataType.FLOAT32);
                vh = scratch.zeros(new Shape(rank, n), DataType.FLOAT32);
            } else {
                NDArray small = q.transpose().matMul(x); // [kept, n]
                SymmetricEigen eig = SymmetricEigen.of(toRows(small.matMul(small.transpose())));
                int r = Math.min(rank, kept);
                double[] sv = new double[rank];
                double[] w = new double[kept * r];
                double[] wOverS = new double[kept * r];
                for (int j = 0; j < r; j++) {
                    sv[j] = Math.sqrt(Math.max(eig.values()[j], 0.0));
                    for (int i = 0; i < kept; i++) {
                        w[i * r + j] = eig.vectors()[i][j];
                        wOverS[i * r + j] = sv[j] > 0 ? eig.vectors()[i][j] / sv[j] : 0.0;
                    }
                }
                NDArray wArr = scratch.create(w, new Shape(kept, r));
                NDArray wsArr = scratch.create(wOverS, new Shape(kept, r));
                u = q.matMul(wArr);
                vh = wsArr.transpose().matMul(small);
                if (r < rank) {
                    u = u.concat(scratch.zeros(new Shape(m, rank - r), DataType.FLOAT64), 1);
                    vh = vh.concat(scratch.zeros(new Shape(rank - r, n), DataType.FLOAT64), 0);
                }
                u = u.toType(DataType.FLOAT32, false);
                vh = vh.toType(DataType.FLOAT32, false);
                s = scratch.create(sv).toType(DataType.FLOAT32, false);
            }
            u.attach(owner);
            s.attach(owner);
            vh.attach(owner);
            return new TruncatedSvd(u, s, vh);
        }
    }

    private NDArray gaussian(NDManager manager, long rows, int cols) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] g = new double[Math.toIntExact(rows * cols)];
        for (int i = 0; i < g.length; i++) {
            g[i] = random.nextGaussian();
        }
        return manager.create(g, new Shape(rows, cols));
    }

    // Q = Y W diag(1/sqrt(lambda)) from Y^T Y = W diag(lambda) W^T, twice; drops tiny directions.
    private static NDArray orthonormalize(NDArray y) {
        return orthonormalizeOnce(orthonormalizeOnce(y));
    }

    private static NDArray orthonormalizeOnce(NDArray y) {
        int k = (int) y.getShape().get(1);
        if (k == 0) {
            return y;
        }
        SymmetricEigen eig = SymmetricEigen.of(toRows(y.transpose().matMul(y)));
        double top = eig.values()[0];
        int kept = 0;
        while (kept < k && top > 0 && eig.values()[kept] > top * DROP) {
            kept++;
        }
        double[] scaled = new double[k * Math.max(kept, 1)];
        for (int j = 0; j < kept; j++) {
            double inv = 1.0 / Math.sqrt(eig.values()[j]);
            for (int i = 0; i < k; i++) {
                scaled[i * kept + j] = eig.vectors()[i][j] * inv;
            }
        }
        if (kept == 0) {
            return y.get(":, :0");
        }
        return y.matMul(y.getManager().create(scaled, new Shape(k, kept)));
    }

    private static double[][] toRows(NDArray square) {
        int n = (int) square.getShape().get(0);
        double[] flat = square.toDoubleArray();
        double[][] rows = new double[n][n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(flat, i * n, rows[i], 0, n);
        }
        return rows;
    }
}

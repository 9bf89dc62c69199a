package org.peft4j.lora.linalg;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;

import java.util.SplittableRandom;

/**
 * Top-k SVD by randomized subspace iteration, after {@code torch.svd_lowrank} and Halko,
 * Martinsson and Tropp, "Finding structure with randomness" (SIAM Review 2011), Algorithms 4.4
 * and 5.1. The passes over {@code W} are DJL matmuls on {@code W}'s device; LAPACK only sees the
 * thin sketch matrices.
 */
final class RandomizedSvd implements Svd {

    private final int k;
    private final int oversampling;
    private final int niter;
    private final long seed;

    RandomizedSvd(int k, int oversampling, int niter, long seed) {
        if (k < 1) {
            throw new IllegalArgumentException(
                    "Svd.randomized: rank k = " + k + " must be >= 1 (and <= min(m, n))");
        }
        if (oversampling < 0) {
            throw new IllegalArgumentException(
                    "Svd.randomized: oversampling = " + oversampling + " must be >= 0 (10 is usual)");
        }
        if (niter < 0) {
            throw new IllegalArgumentException(
                    "Svd.randomized: niter = " + niter + " must be >= 0 (torch.svd_lowrank uses 2)");
        }
        this.k = k;
        this.oversampling = oversampling;
        this.niter = niter;
        this.seed = seed;
    }

    @Override
    public SvdResult decompose(NDArray w, NDManager out) {
        int[] mn = MatrixArgument.requireMatrix(w, out, "randomized SVD");
        int m = mn[0];
        int n = mn[1];
        MatrixArgument.requireRank(k, m, n, "randomized SVD");
        int sketch = (int) Math.min((long) k + oversampling, Math.min(m, n));
        Device device = w.getDevice();
        HostSvd host;
        NDArray u;
        try (NDScope scope = new NDScope();
                NDManager scratch = out.newSubManager(device)) {
            scope.suppressNotUsedWarning();
            NDArray q = orthonormalize(w.matMul(gaussian(scratch, n, sketch)), scratch);
            NDArray wt = w.transpose();
            for (int i = 0; i < niter; i++) {
                // re-orthonormalise after each product, or the sketch collapses onto the top
                // singular vector in float32 (Halko et al., Algorithm 4.4)
                NDArray z = orthonormalize(wt.matMul(q), scratch);
                q = orthonormalize(w.matMul(z), scratch);
            }
            // W ≈ Q·(QᵀW); the SVD of the small [sketch, n] matrix B = QᵀW = Ub·S·Vt gives U = Q·Ub
            NDArray b = q.transpose().matMul(w);
            host = FullSvd.compute(HostMatrix.copyOf(b));
            NDArray ub = host.u().topLeft(sketch, k).toNDArray(scratch, device);
            u = q.matMul(ub);
            // u outlives the scope and the scratch manager: hand it to out and the caller's scope
            NDScope.unregister(u);
            u.attach(out);
        }
        NDScope.register(u);
        NDArray s = host.s().topLeft(1, k).toNDArray(out, device, new Shape(k));
        NDArray vt = host.vt().topLeft(k, n).toNDArray(out, device);
        return new SvdResult(u, s, vt);
    }

    /**
     * A standard-normal {@code [rows, cols]} test matrix drawn in Java from the seed, so that it
     * is the same on every engine and device; it has only {@code n · (k + oversampling)} entries.
     */
    private NDArray gaussian(NDManager manager, int rows, int cols) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] entries = new float[rows * cols];
        for (int i = 0; i < entries.length; i++) {
            entries[i] = (float) random.nextGaussian();
        }
        return manager.create(entries, new Shape(rows, cols));
    }

    /** Orthonormal columns spanning {@code y}'s, by Householder QR on the host. */
    private static NDArray orthonormalize(NDArray y, NDManager scratch) {
        return Qr.orthonormalBasis(HostMatrix.copyOf(y)).toNDArray(scratch, y.getDevice());
    }

    @Override
    public String toString() {
        return "Svd.randomized(k=" + k + ", oversampling=" + oversampling + ", niter=" + niter
                + ", seed=" + seed + ")";
    }
}

package org.peft4j.lora.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * A singular value decomposition algorithm, {@code W ≈ U · diag(S) · Vt}.
 *
 * <p>Pick one with a factory, then apply it to any number of matrices:
 *
 * <pre>{@code
 * try (SvdResult top = Svd.truncated(16).decompose(weight, manager)) {
 *     NDArray u = top.u();   // [out, 16]
 *     NDArray s = top.s();   // [16], descending
 *     NDArray vt = top.vt(); // [16, in]
 * }
 * }</pre>
 *
 * <p>Input: a finite 2-D float32 array {@code [m, n]} on any device; either {@code m >= n} or
 * {@code m < n}. The input is never modified. Output: float32 arrays on the input's device,
 * attached to the {@code out} manager. Implementations are immutable and thread-safe; the LAPACK
 * parts run one at a time on a dedicated large-stack thread.
 */
public interface Svd {

    /**
     * Decomposes {@code w}.
     *
     * @param w the matrix, float32 {@code [m, n]}
     * @param out the manager the result arrays are attached to
     * @return {@code u [m, k]}, {@code s [k]} descending, {@code vt [k, n]}
     * @throws IllegalArgumentException if {@code w} is not a finite 2-D float32 matrix, or the
     *     algorithm's rank {@code k} exceeds {@code min(m, n)}
     * @throws ArithmeticException if LAPACK reports that the iteration did not converge
     */
    SvdResult decompose(NDArray w, NDManager out);

    /**
     * The exact economy SVD, {@code k = min(m, n)}, by LAPACK's divide-and-conquer {@code sgesdd}
     * (job 'S'). Runs on the CPU; a GPU input is copied to the host and the factors back.
     *
     * @return the algorithm
     */
    static Svd full() {
        return FullSvd.INSTANCE;
    }

    /**
     * The exact top-{@code k} singular triplets by LAPACK's {@code sgesvdx} (range 'I', indices 1
     * to k), which skips computing the discarded vectors. Runs on the CPU.
     *
     * @param k the number of triplets to keep, {@code 1 <= k <= min(m, n)} (checked per matrix)
     * @return the algorithm
     * @throws IllegalArgumentException if {@code k < 1}
     */
    static Svd truncated(int k) {
        return new TruncatedSvd(k);
    }

    /**
     * Approximate top-{@code k} triplets by randomized subspace iteration, following
     * {@code torch.svd_lowrank} (Halko, Martinsson and Tropp 2011, Algorithm 4.4): sketch
     * {@code Q = orth(W·Ω)} with a Gaussian {@code Ω [n, k + oversampling]}, refine it with
     * {@code niter} power iterations {@code Q = orth(W·orth(Wᵀ·Q))}, then take the exact SVD of the
     * small {@code QᵀW}. The products with {@code W} are DJL matmuls on {@code W}'s device (GPU
     * included); only the thin {@code [m, k + oversampling]} and {@code [k + oversampling, n]}
     * matrices visit the host for LAPACK's QR and SVD. Same seed, same input: same result.
     *
     * @param k the number of triplets to return, {@code 1 <= k <= min(m, n)} (checked per matrix)
     * @param oversampling extra sketch columns, {@code >= 0}; 10 is usual; capped so that
     *     {@code k + oversampling <= min(m, n)}
     * @param niter power iterations, {@code >= 0}; each costs two passes over {@code W} and sharpens
     *     the result when the spectrum decays slowly
     * @param seed seed of the Gaussian test matrix {@code Ω}
     * @return the algorithm
     * @throws IllegalArgumentException if {@code k < 1}, {@code oversampling < 0} or {@code niter < 0}
     */
    static Svd randomized(int k, int oversampling, int niter, long seed) {
        return new RandomizedSvd(k, oversampling, niter, seed);
    }
}

package org.peft4j.merge.lora;

import ai.djl.ndarray.NDArray;

/**
 * Computes a truncated SVD. {@link RandomizedSvd} is the built-in implementation; an exact LAPACK
 * SVD (as peft-lora provides) can be passed in instead.
 */
@FunctionalInterface
public interface LowRankFactorizer {

    /**
     * Factorises a matrix.
     *
     * @param matrix {@code [m, n]}, float32
     * @param rank number of leading triplets, {@code 1 <= rank <= min(m, n)}
     * @return {@code U [m, rank]}, {@code S [rank]}, {@code Vh [rank, n]} in {@code matrix}'s manager
     */
    TruncatedSvd factorize(NDArray matrix, int rank);
}

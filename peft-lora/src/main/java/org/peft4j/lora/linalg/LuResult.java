package org.peft4j.lora.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.Objects;

/**
 * An LU decomposition with partial (row) pivoting, {@code W = P · L · U}, of an {@code [m, n]}
 * float32 matrix, with {@code c = min(m, n)}.
 *
 * <p><b>Pivots.</b> {@code pivots} is a permutation vector of length {@code m}: row {@code i} of
 * {@code L·U} is row {@code pivots[i]} of {@code W}. Equivalently {@code W = P·L·U} where
 * {@code P[pivots[i], i] = 1} (see {@link #permutationMatrix}), and {@code Pᵀ·W = L·U}. (This is
 * the convention of {@code torch.linalg.lu}, {@code A = P L U}, with {@code P} stored as a vector.)
 *
 * <p>The arrays are float32, on the input's device, attached to the manager passed to
 * {@link Lu#of}. Closing the result closes them.
 *
 * @param pivots the row permutation, length {@code m}, each of {@code 0..m-1} once (copied)
 * @param l {@code [m, c]} unit lower triangular (trapezoidal when {@code m > n}); with partial
 *     pivoting every entry satisfies {@code |l| <= 1}
 * @param u {@code [c, n]} upper triangular (trapezoidal when {@code m < n}); a zero on its diagonal
 *     means {@code W} is singular
 */
public record LuResult(int[] pivots, NDArray l, NDArray u) implements AutoCloseable {

    /**
     * Checks and copies the factors.
     *
     * @param pivots the row permutation, length {@code m}
     * @param l {@code [m, c]}
     * @param u {@code [c, n]}
     * @throws IllegalArgumentException unless {@code l} is {@code [m, c]}, {@code u} is
     *     {@code [c, n]} and {@code pivots} is a permutation of {@code 0..m-1}
     */
    public LuResult {
        Objects.requireNonNull(pivots, "pivots is null");
        Objects.requireNonNull(l, "l is null");
        Objects.requireNonNull(u, "u is null");
        Shape ls = l.getShape();
        Shape us = u.getShape();
        if (ls.dimension() != 2 || us.dimension() != 2 || ls.get(1) != us.get(0)) {
            throw new IllegalArgumentException(
                    "LU factors must be l [m, c], u [c, n]; got l " + ls + ", u " + us);
        }
        pivots = pivots.clone();
        RowPermutation.requirePermutation(pivots, Math.toIntExact(ls.get(0)));
    }

    /**
     * The row permutation as a vector (a copy): row {@code i} of {@code L·U} is row
     * {@code pivots[i]} of {@code W}.
     *
     * @return the permutation, length {@code m}
     */
    @Override
    public int[] pivots() {
        return pivots.clone();
    }

    /**
     * The permutation as a matrix {@code P [m, m]}, float32, {@code P[pivots[i], i] = 1}, so that
     * {@code W = P·L·U}.
     *
     * @param manager the manager (and device) the matrix is created in
     * @return {@code P}
     */
    public NDArray permutationMatrix(NDManager manager) {
        return RowPermutation.matrix(pivots, manager);
    }

    /**
     * The relative reconstruction error {@code ||P·L·U - W||_F / ||W||_F} (absolute if {@code W}
     * is zero).
     *
     * @param w the decomposed matrix, {@code [m, n]}, on the factors' device
     * @return the relative error, dimensionless
     * @throws IllegalArgumentException if {@code w} is not {@code [m, n]}
     */
    public float reconstructionError(NDArray w) {
        Shape expected = new Shape(l.getShape().get(0), u.getShape().get(1));
        try (NDManager local = l.getManager().newSubManager(l.getDevice())) {
            NDArray p = permutationMatrix(local);
            return FactorQuality.relativeError(w, expected, () -> p.matMul(l.matMul(u)));
        }
    }

    /** Closes {@code l} and {@code u}. */
    @Override
    public void close() {
        l.close();
        u.close();
    }
}

package org.peft4j.lora.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.Objects;

/**
 * An LDU decomposition with partial (row) pivoting, {@code W = P · L · diag(D) · U}, of an
 * {@code [m, n]} float32 matrix: the LU factorization with {@code U}'s diagonal pulled out, {@code
 * D = diag(U_lu)} and {@code U = diag(D)⁻¹ · U_lu}, for its first {@code c} pivots: {@code c =
 * min(m, n)} from {@link Lu#ldu(NDArray, NDManager)} (then {@code P·L·diag(D)·U = W}), or the
 * {@code c = k} leading pivots from {@link Lu#ldu(NDArray, int, NDManager)} (then it is {@code W}
 * minus the Schur complement left after {@code k} elimination steps). This is the form LoLDU
 * initialises from.
 *
 * <p>{@code pivots} follows {@link LuResult}'s convention: row {@code i} of {@code L·diag(D)·U} is
 * row {@code pivots[i]} of {@code W}; {@code P[pivots[i], i] = 1}.
 *
 * <p>The arrays are float32, on the input's device, attached to the manager passed to
 * {@link Lu#ldu}. Closing the result closes them.
 *
 * @param pivots the row permutation, length {@code m} (copied)
 * @param l {@code [m, c]} unit lower triangular, {@code |l| <= 1}
 * @param d {@code [c]} the pivots' values, all nonzero
 * @param u {@code [c, n]} unit upper triangular (ones on the diagonal)
 */
public record LduResult(int[] pivots, NDArray l, NDArray d, NDArray u) implements AutoCloseable {

    /**
     * Checks and copies the factors.
     *
     * @param pivots the row permutation, length {@code m}
     * @param l {@code [m, c]}
     * @param d {@code [c]}
     * @param u {@code [c, n]}
     * @throws IllegalArgumentException unless {@code l} is {@code [m, c]}, {@code d} is {@code [c]},
     *     {@code u} is {@code [c, n]} and {@code pivots} is a permutation of {@code 0..m-1}
     */
    public LduResult {
        Objects.requireNonNull(pivots, "pivots is null");
        Objects.requireNonNull(l, "l is null");
        Objects.requireNonNull(d, "d is null");
        Objects.requireNonNull(u, "u is null");
        Shape ls = l.getShape();
        Shape ds = d.getShape();
        Shape us = u.getShape();
        if (ls.dimension() != 2
                || ds.dimension() != 1
                || us.dimension() != 2
                || ls.get(1) != ds.get(0)
                || us.get(0) != ds.get(0)) {
            throw new IllegalArgumentException(
                    "LDU factors must be l [m, c], d [c], u [c, n]; got l " + ls + ", d " + ds
                            + ", u " + us);
        }
        pivots = pivots.clone();
        RowPermutation.requirePermutation(pivots, Math.toIntExact(ls.get(0)));
    }

    /**
     * The row permutation as a vector (a copy).
     *
     * @return the permutation, length {@code m}
     */
    @Override
    public int[] pivots() {
        return pivots.clone();
    }

    /**
     * The permutation as a matrix {@code P [m, m]}, float32, {@code P[pivots[i], i] = 1}.
     *
     * @param manager the manager (and device) the matrix is created in
     * @return {@code P}
     */
    public NDArray permutationMatrix(NDManager manager) {
        return RowPermutation.matrix(pivots, manager);
    }

    /**
     * The relative reconstruction error {@code ||P·L·diag(D)·U - W||_F / ||W||_F} (absolute if
     * {@code W} is zero); for {@code c < min(m, n)} leading pivots, the relative size of the Schur
     * complement they leave out.
     *
     * @param w the decomposed matrix, {@code [m, n]}, on the factors' device
     * @return the relative error, dimensionless
     * @throws IllegalArgumentException if {@code w} is not {@code [m, n]}
     */
    public float reconstructionError(NDArray w) {
        Shape expected = new Shape(l.getShape().get(0), u.getShape().get(1));
        int c = Math.toIntExact(d.getShape().get(0));
        try (NDManager local = l.getManager().newSubManager(l.getDevice())) {
            NDArray p = permutationMatrix(local);
            return FactorQuality.relativeError(
                    w, expected, () -> p.matMul(l.mul(d.reshape(1, c)).matMul(u)));
        }
    }

    /** Closes {@code l}, {@code d} and {@code u}. */
    @Override
    public void close() {
        l.close();
        d.close();
        u.close();
    }
}

package org.peft4j.lora.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

import java.util.Objects;

/**
 * A (possibly truncated) singular value decomposition {@code W ≈ U · diag(S) · Vt} of an
 * {@code [m, n]} float32 matrix.
 *
 * <p>All three arrays are float32, on the input matrix's device, attached to the manager passed to
 * {@link Svd#decompose}. Closing the result closes them.
 *
 * @param u left singular vectors as columns, {@code [m, k]}, orthonormal columns
 * @param s singular values, {@code [k]}, non-negative and in descending order
 * @param vt right singular vectors as rows, {@code [k, n]}, orthonormal rows
 */
public record SvdResult(NDArray u, NDArray s, NDArray vt) implements AutoCloseable {

    /**
     * Checks that the factors fit together.
     *
     * @param u left singular vectors, {@code [m, k]}
     * @param s singular values, {@code [k]}
     * @param vt right singular vectors, {@code [k, n]}
     * @throws IllegalArgumentException unless {@code u} is {@code [m, k]}, {@code s} is {@code [k]}
     *     and {@code vt} is {@code [k, n]}
     */
    public SvdResult {
        Objects.requireNonNull(u, "u is null");
        Objects.requireNonNull(s, "s is null");
        Objects.requireNonNull(vt, "vt is null");
        Shape us = u.getShape();
        Shape ss = s.getShape();
        Shape vs = vt.getShape();
        if (us.dimension() != 2
                || ss.dimension() != 1
                || vs.dimension() != 2
                || us.get(1) != ss.get(0)
                || vs.get(0) != ss.get(0)) {
            throw new IllegalArgumentException(
                    "SVD factors must be u [m, k], s [k], vt [k, n]; got u " + us + ", s " + ss
                            + ", vt " + vs);
        }
    }

    /**
     * The number of singular triplets kept, {@code k}.
     *
     * @return {@code k}
     */
    public int rank() {
        return Math.toIntExact(s.getShape().get(0));
    }

    /**
     * The relative reconstruction error {@code ||U · diag(S) · Vt - W||_F / ||W||_F} (the absolute
     * error if {@code W} is zero). For an exact SVD this is float32 round-off; for a rank-k
     * truncation it is at least {@code sqrt(sum of the discarded s²) / ||W||_F} (Eckart–Young).
     *
     * @param w the decomposed matrix, {@code [m, n]}, on the factors' device
     * @return the relative error, dimensionless
     * @throws IllegalArgumentException if {@code w} is not {@code [m, n]}
     */
    public float reconstructionError(NDArray w) {
        Shape expected = new Shape(u.getShape().get(0), vt.getShape().get(1));
        return FactorQuality.relativeError(
                w, expected, () -> u.mul(s.reshape(1, rank())).matMul(vt));
    }

    /**
     * How far the factors are from orthonormal: {@code max(max|UᵀU - I|, max|Vt·Vtᵀ - I|)}.
     *
     * @return the largest absolute deviation of a Gram-matrix entry from the identity
     */
    public float orthogonalityError() {
        return Math.max(
                FactorQuality.orthonormalityDefect(u, true),
                FactorQuality.orthonormalityDefect(vt, false));
    }

    /** Closes {@code u}, {@code s} and {@code vt}. */
    @Override
    public void close() {
        u.close();
        s.close();
        vt.close();
    }
}

package org.peft4j.lora.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

import java.util.Objects;

/**
 * An economy QR decomposition {@code W = Q · R} of an {@code [m, n]} float32 matrix, with
 * {@code c = min(m, n)}.
 *
 * <p>Both arrays are float32, on the input's device, attached to the manager passed to
 * {@link Qr#of}. Closing the result closes them.
 *
 * @param q {@code [m, c]} with orthonormal columns
 * @param r {@code [c, n]} upper triangular (upper trapezoidal when {@code m < n}); its diagonal may
 *     be negative (Householder convention, as LAPACK returns it)
 */
public record QrResult(NDArray q, NDArray r) implements AutoCloseable {

    /**
     * Checks that the factors fit together.
     *
     * @param q {@code [m, c]}
     * @param r {@code [c, n]}
     * @throws IllegalArgumentException unless {@code q} is {@code [m, c]} and {@code r} is {@code [c, n]}
     */
    public QrResult {
        Objects.requireNonNull(q, "q is null");
        Objects.requireNonNull(r, "r is null");
        Shape qs = q.getShape();
        Shape rs = r.getShape();
        if (qs.dimension() != 2 || rs.dimension() != 2 || qs.get(1) != rs.get(0)) {
            throw new IllegalArgumentException(
                    "QR factors must be q [m, c], r [c, n]; got q " + qs + ", r " + rs);
        }
    }

    /**
     * The relative reconstruction error {@code ||Q·R - W||_F / ||W||_F} (absolute if {@code W} is
     * zero).
     *
     * @param w the decomposed matrix, {@code [m, n]}, on the factors' device
     * @return the relative error, dimensionless
     * @throws IllegalArgumentException if {@code w} is not {@code [m, n]}
     */
    public float reconstructionError(NDArray w) {
        Shape expected = new Shape(q.getShape().get(0), r.getShape().get(1));
        return FactorQuality.relativeError(w, expected, () -> q.matMul(r));
    }

    /**
     * How far {@code Q}'s columns are from orthonormal: {@code max|QᵀQ - I|}.
     *
     * @return the largest absolute deviation of a Gram-matrix entry from the identity
     */
    public float orthogonalityError() {
        return FactorQuality.orthonormalityDefect(q, true);
    }

    /** Closes {@code q} and {@code r}. */
    @Override
    public void close() {
        q.close();
        r.close();
    }
}

package org.peft4j.lora.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.Objects;

/** The one place where a decomposition's input matrix is checked. */
final class MatrixArgument {

    private MatrixArgument() {}

    /**
     * Checks that {@code w} is a non-empty, finite, 2-D float32 array and returns its shape as
     * {@code {m, n}}.
     *
     * @param w the matrix
     * @param out the manager results go to
     * @param operation what is being computed, for messages ("SVD", "LU", ...)
     * @throws IllegalArgumentException naming the shape, dtype or bad values and what is allowed
     */
    static int[] requireMatrix(NDArray w, NDManager out, String operation) {
        Objects.requireNonNull(w, () -> operation + ": matrix w is null");
        Objects.requireNonNull(out, () -> operation + ": output manager is null");
        Shape shape = w.getShape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException(
                    operation + " needs a 2-D matrix [m, n], got shape " + shape);
        }
        if (w.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException(
                    operation + " needs a float32 matrix, got " + w.getDataType() + " for shape "
                            + shape + "; convert with toType(DataType.FLOAT32, false)");
        }
        if (shape.get(0) < 1 || shape.get(1) < 1) {
            throw new IllegalArgumentException(
                    operation + " needs m >= 1 and n >= 1, got shape " + shape);
        }
        if ((shape.get(0) * shape.get(1)) > Integer.MAX_VALUE / Float.BYTES) {
            throw new IllegalArgumentException(
                    operation + ": matrix " + shape + " is too large for one LAPACK buffer; at most "
                            + (Integer.MAX_VALUE / Float.BYTES) + " elements");
        }
        if (hasNonFinite(w)) {
            throw new IllegalArgumentException(
                    operation + ": matrix " + shape + " contains NaN or infinite values;"
                            + " only finite float32 entries are allowed");
        }
        return new int[] {(int) shape.get(0), (int) shape.get(1)};
    }

    /** Checks a requested rank {@code k} against {@code 1 <= k <= min(m, n)}. */
    static void requireRank(int k, int m, int n, String operation) {
        int limit = Math.min(m, n);
        if (k < 1 || k > limit) {
            throw new IllegalArgumentException(
                    operation + ": rank k = " + k + " is out of range for a [" + m + ", " + n
                            + "] matrix; allowed 1 <= k <= min(m, n) = " + limit);
        }
    }

    private static boolean hasNonFinite(NDArray w) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            return w.isNaN().logicalOr(w.isInfinite()).any().getBoolean();
        }
    }
}

package org.peft4j.lora.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * The measures behind the {@code reconstructionError} and {@code orthogonalityError} checks of
 * the result records, computed with DJL ops on the factors' device. Every temporary is closed
 * before the method returns.
 */
final class FactorQuality {

    private FactorQuality() {}

    /**
     * {@code ||product() - w||_F / ||w||_F}, or the absolute error when {@code ||w||_F == 0}.
     *
     * @param w the original matrix
     * @param expected the shape the factors reconstruct; {@code w} must have it
     * @param product builds the reconstruction from the factors (inside a scope that closes it)
     */
    static float relativeError(NDArray w, Shape expected, Supplier<NDArray> product) {
        Objects.requireNonNull(w, "w is null");
        if (!w.getShape().equals(expected)) {
            throw new IllegalArgumentException(
                    "w has shape " + w.getShape() + " but the factors reconstruct " + expected);
        }
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray approx = product.get();
            float residual = approx.sub(w).norm().getFloat();
            float norm = w.norm().getFloat();
            return norm == 0f ? residual : residual / norm;
        }
    }

    /**
     * {@code max |XᵀX - I|} (orthonormal columns) or {@code max |XXᵀ - I|} (orthonormal rows).
     */
    static float orthonormalityDefect(NDArray x, boolean columns) {
        try (NDScope scope = new NDScope();
                NDManager local = x.getManager().newSubManager(x.getDevice())) {
            scope.suppressNotUsedWarning();
            NDArray gram = columns ? x.transpose().matMul(x) : x.matMul(x.transpose());
            NDArray identity = local.eye(Math.toIntExact(gram.getShape().get(0)));
            return gram.sub(identity).abs().max().getFloat();
        }
    }
}

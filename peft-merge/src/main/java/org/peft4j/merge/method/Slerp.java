package org.peft4j.merge.method;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

/**
 * Spherical linear interpolation between the base tensor {@code v0} and one input {@code v1}, with
 * mergekit's semantics ({@code mergekit/merge_methods/slerp.py}): the angle is computed from
 * normalised copies (a copy whose L2 norm is at most 1e-8 is left unnormalised), {@code dot =
 * <v0/|v0|, v1/|v1|>} over the flattened tensor; if {@code |dot| > 0.9995} the result is the linear
 * interpolation {@code (1-t) v0 + t v1}; otherwise {@code sin((1-t) Omega)/sin(Omega) v0 + sin(t
 * Omega)/sin(Omega) v1} with {@code Omega = acos(dot)}, applied to the unnormalised tensors. {@code
 * t = 0} gives the base.
 *
 * @param t interpolation factor, in [0, 1]
 */
public record Slerp(double t) implements MergeMethod {

    /** mergekit's {@code DOT_THRESHOLD}: above it the vectors count as colinear. */
    public static final double DOT_THRESHOLD = 0.9995;

    /** mergekit's {@code eps} for normalisation. */
    private static final double EPS = 1e-8;

    /** Validates. */
    public Slerp {
        if (!(t >= 0.0 && t <= 1.0)) {
            throw new IllegalArgumentException("t must be in [0, 1], got " + t);
        }
    }

    /** {@inheritDoc} */
    @Override
    public boolean usesBase() {
        return true;
    }

    /** {@inheritDoc} */
    @Override
    public void requireInputCount(int inputCount) {
        if (inputCount != 1) {
            throw new IllegalArgumentException(
                    "slerp interpolates the base with exactly 1 input model, got " + inputCount);
        }
    }

    /** {@inheritDoc} */
    @Override
    public NDArray mergeOverwriting(String tensorName, NDArray base, NDArray inputs) {
        requireInputCount((int) inputs.getShape().get(0));
        NDArray result;
        try (NDScope scope = new NDScope()) {
            result = interpolate(base, inputs.get(0), t);
            NDScope.unregister(result);
        }
        NDScope.register(result);
        return result;
    }

    /**
     * Interpolates two tensors of the same shape.
     *
     * @param v0 start tensor (returned at {@code t = 0}), float32
     * @param v1 end tensor (returned at {@code t = 1}), float32, same shape
     * @param t interpolation factor, in [0, 1]
     * @return interpolated tensor, float32, in {@code v0}'s manager
     */
    public static NDArray interpolate(NDArray v0, NDArray v1, double t) {
        if (!(t >= 0.0 && t <= 1.0)) {
            throw new IllegalArgumentException("t must be in [0, 1], got " + t);
        }
        if (!v0.getShape().equals(v1.getShape())) {
            throw new IllegalArgumentException(
                    "slerp needs equal shapes, got " + v0.getShape() + " and " + v1.getShape());
        }
        NDArray result;
        try (NDScope scope = new NDScope()) {
            double n0 = v0.flatten().norm().getFloat();
            double n1 = v1.flatten().norm().getFloat();
            double d0 = n0 > EPS ? n0 : 1.0;
            double d1 = n1 > EPS ? n1 : 1.0;
            double dot = v0.mul(v1).sum().getFloat() / (d0 * d1);
            double s0;
            double s1;
            if (Math.abs(dot) > DOT_THRESHOLD) {
                s0 = 1.0 - t;
                s1 = t;
            } else {
                double omega = Math.acos(dot);
                double sinOmega = Math.sin(omega);
                s0 = Math.sin(omega - omega * t) / sinOmega;
                s1 = Math.sin(omega * t) / sinOmega;
            }
            result = v0.mul(s0).add(v1.mul(s1));
            NDScope.unregister(result);
        }
        NDScope.register(result);
        return result;
    }
}

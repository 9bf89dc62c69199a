package org.peft4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Arithmetic with a constant that is safe inside an autograd graph.
 *
 * <p>DJL 0.36's PyTorch engine implements {@code array.mul(2f)}, {@code div}, {@code pow} and the
 * other {@code Number} overloads by wrapping the number in a 0-d tensor over a Java direct buffer
 * (no copy) and closing that tensor right after the operation. Autograd keeps the operand of a
 * product, quotient or power for the backward pass, but closing the tensor drops the only Java
 * reference to its buffer: once the garbage collector frees the buffer, the backward pass reads
 * whatever the allocator put there. Gradients through such an operation are then silently wrong
 * (measured: {@code x.mul(3f)} after one collection gave a gradient of 2.1e-38 instead of 3 in 20 of
 * 20 trials) or not finite. The operations here use a 0-d tensor allocated by the engine itself
 * ({@code NDManager.full}), which autograd keeps alive on its own.
 *
 * <p>Use them wherever the array may be part of a graph that is differentiated later (a forward
 * pass in training, a loss). Additions and subtractions of a {@code Number} are safe as they are:
 * their backward pass does not read the operand.
 */
public final class AutogradScalars {

    private AutogradScalars() {}

    /**
     * Returns a 0-d array holding {@code value}, in {@code like}'s manager, device and data type,
     * with storage the engine owns.
     *
     * @param like the array whose manager, device and data type the scalar takes
     * @param value the value
     * @return a new 0-d array
     */
    public static NDArray scalar(NDArray like, float value) {
        return like.getManager().full(new Shape(), value, like.getDataType());
    }

    /**
     * Returns {@code x * value}.
     *
     * @param x any floating array
     * @param value the factor
     * @return a new array of {@code x}'s shape in {@code x}'s manager
     */
    public static NDArray mul(NDArray x, float value) {
        try (NDArray s = scalar(x, value)) {
            return x.mul(s);
        }
    }

    /**
     * Returns {@code x / value}.
     *
     * @param x any floating array
     * @param value the divisor
     * @return a new array of {@code x}'s shape in {@code x}'s manager
     */
    public static NDArray div(NDArray x, float value) {
        try (NDArray s = scalar(x, value)) {
            return x.div(s);
        }
    }

    /**
     * Returns {@code x} to the power {@code exponent}, element-wise.
     *
     * @param x any floating array
     * @param exponent the exponent
     * @return a new array of {@code x}'s shape in {@code x}'s manager
     */
    public static NDArray pow(NDArray x, float exponent) {
        try (NDArray s = scalar(x, exponent)) {
            return x.pow(s);
        }
    }
}

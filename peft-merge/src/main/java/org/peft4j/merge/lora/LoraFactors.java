package org.peft4j.merge.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * The factors of one LoRA adapter on one layer, in PEFT's layout: {@code Delta W = scaling * B A}.
 *
 * @param a {@code lora_A} weight {@code [r, in]}, float32
 * @param b {@code lora_B} weight {@code [out, r]}, float32
 * @param scaling {@code lora_alpha / r} ({@code lora_alpha / sqrt(r)} with rsLoRA)
 */
public record LoraFactors(NDArray a, NDArray b, double scaling) {

    /** Validates shapes: {@code a [r, in]}, {@code b [out, r]} with the same {@code r}. */
    public LoraFactors {
        if (a == null || b == null) {
            throw new IllegalArgumentException("a and b must not be null");
        }
        Shape sa = a.getShape();
        Shape sb = b.getShape();
        if (sa.dimension() != 2 || sb.dimension() != 2 || sa.get(0) != sb.get(1)) {
            throw new IllegalArgumentException(
                    "LoRA factors need a [r, in] and b [out, r] with the same r, got a " + sa + " and b " + sb);
        }
        if (!Double.isFinite(scaling)) {
            throw new IllegalArgumentException("scaling must be finite, got " + scaling);
        }
    }

    /**
     * @return the rank {@code r}
     */
    public int rank() {
        return (int) a.getShape().get(0);
    }

    /**
     * @return {@code [out, in]} of the adapted weight
     */
    public Shape weightShape() {
        return new Shape(b.getShape().get(0), a.getShape().get(1));
    }

    /**
     * The weight update (PEFT {@code get_delta_weight}).
     *
     * @return {@code scaling * B A}, {@code [out, in]}, float32, in {@code b}'s manager
     */
    public NDArray deltaWeight() {
        try (NDArray ba = b.matMul(a)) {
            return ba.mul(scaling);
        }
    }
}

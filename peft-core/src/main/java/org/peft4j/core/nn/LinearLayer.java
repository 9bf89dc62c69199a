package org.peft4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;

/**
 * The view of a frozen linear layer {@code y = x·Wᵀ + b} that adapters need: its sizes, its weight
 * as dense float32 for initialisers and merges, and a way to write a merged weight back. A dense
 * layer writes in place; a quantized layer dequantizes and requantizes.
 *
 * <p>Shapes follow {@code torch.nn.Linear}: {@code W} is {@code [out, in]}, {@code b} is {@code
 * [out]}.
 */
public interface LinearLayer {

    /**
     * Returns the block that computes the layer's forward pass.
     *
     * @return the block
     */
    Block block();

    /**
     * Returns the size of the last input axis.
     *
     * @return {@code in}
     */
    long inFeatures();

    /**
     * Returns the size of the last output axis.
     *
     * @return {@code out}
     */
    long outFeatures();

    /**
     * Returns a float32 copy of the weight, {@code [out, in]}, owned by {@code manager}.
     *
     * @param manager the manager that owns the copy (its device is used)
     * @return a new array the caller closes
     */
    NDArray weightCopy(NDManager manager);

    /**
     * Replaces the weight values with {@code weight} ({@code [out, in]}, any float dtype; converted to
     * the layer's storage type, requantized for quantized layers).
     *
     * @param weight the new values; not retained
     */
    void setWeight(NDArray weight);

    /**
     * Adds {@code delta} ({@code [out, in]}) to the weight. Dense layers do this in place.
     *
     * @param delta the update; not retained
     */
    default void addToWeight(NDArray delta) {
        try (NDManager scratch = delta.getManager().newSubManager()) {
            NDArray w = weightCopy(scratch);
            setWeight(w.addi(delta.toType(w.getDataType(), false)));
        }
    }

    /**
     * Returns the bias parameter, {@code [out]}, or null when the layer has none.
     *
     * @return the bias or null
     */
    Parameter bias();

    /**
     * Returns the number of weight (and bias) elements the layer represents, whatever its storage.
     *
     * @return the logical parameter count
     */
    long parameterCount();

    /**
     * Returns the bytes the layer's frozen state holds in memory (packed bytes and statistics for
     * quantized layers, the dense arrays otherwise).
     *
     * @return bytes held
     */
    long bytesHeld();
}

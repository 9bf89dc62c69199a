package org.peft4j.core.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;

import java.util.Map;

/**
 * One adapter on one frozen linear layer. Its forward pass maps the layer input {@code x} ({@code
 * [..., in]}) to the update {@code delta(x)} ({@code [..., out]}) that the host adds to the frozen
 * layer's output; the result must live in {@code x}'s manager.
 *
 * <p>An adapter is a DJL {@link Block}, so its parameters take part in DJL initialisation, training
 * and parameter listing like any other.
 */
public interface Adapter extends Block {

    /**
     * Returns the method's {@code peft_type}.
     *
     * @return e.g. {@code "LORA"}
     */
    String peftType();

    /**
     * Returns the dense weight update {@code ΔW}, {@code [out, in]} float32, scaling included, such
     * that {@code delta(x) = x·ΔWᵀ (+ deltaBias)} when dropout is off.
     *
     * @param manager the owner of the result
     * @return a new array
     */
    NDArray deltaWeight(NDManager manager);

    /**
     * Returns the bias update {@code [out]} (e.g. LoRA's {@code lora_bias}), or null when the adapter
     * has none.
     *
     * @param manager the owner of the result
     * @return a new array or null
     */
    default NDArray deltaBias(NDManager manager) {
        return null;
    }

    /**
     * Returns the tensors saved for this adapter, keyed by their name relative to the layer path
     * without the adapter name, as PEFT saves them ({@code "lora_A.weight"}, {@code
     * "lora_B.weight"}). Frozen buffers that are needed to rebuild the adapter are included.
     *
     * @return ordered map of relative key to parameter
     */
    Map<String, Parameter> stateTensors();

    /**
     * Freezes or unfreezes the trainable parameters (frozen buffers stay frozen).
     *
     * @param trainable whether the adapter trains
     */
    void setTrainable(boolean trainable);
}

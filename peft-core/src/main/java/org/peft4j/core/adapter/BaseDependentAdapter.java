package org.peft4j.core.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.peft4j.core.nn.LinearLayer;

/**
 * An adapter whose effect is not a term added to the frozen layer's output but depends on the frozen
 * weight itself, like DoRA's rescaling of every output row. {@link AdapterHost} calls {@link #apply}
 * instead of {@link #forward} and merges with {@link #mergedWeight} / {@link #unmergedWeight} instead
 * of adding {@link #deltaWeight}.
 *
 * <p>{@link #deltaWeight} still returns the adapter's low-rank part ({@code s·B·A}, {@code [out, in]})
 * for inspection and checks; it is not the layer's whole update.
 */
public interface BaseDependentAdapter extends Adapter {

    /**
     * Returns the layer's output with this adapter applied.
     *
     * @param base the frozen layer ({@code W} {@code [out, in]}, bias {@code [out]} or none)
     * @param ps the parameter store of the forward pass
     * @param x the layer input, {@code [..., in]}
     * @param result the output so far, {@code [..., out]}: the frozen layer's output plus the active
     *     adapters applied before this one (PEFT passes the same running result)
     * @param training whether this is a training pass (dropout on)
     * @param params forward parameters, passed on
     * @return the new output, {@code [..., out]}, in {@code x}'s manager
     */
    NDArray apply(LinearLayer base, ParameterStore ps, NDArray x, NDArray result, boolean training, PairList<String, Object> params);

    /**
     * Returns the weight the layer holds once this adapter is merged into {@code weight}, and keeps
     * what {@link #unmergedWeight} needs to undo it.
     *
     * @param weight the current weight, {@code [out, in]} float32 (not modified)
     * @param manager the owner of the result
     * @return the merged weight, {@code [out, in]} float32
     */
    NDArray mergedWeight(NDArray weight, NDManager manager);

    /**
     * Returns the weight before the last {@link #mergedWeight}, from the merged one.
     *
     * @param mergedWeight the layer's weight with this adapter merged, {@code [out, in]} float32
     * @param manager the owner of the result
     * @return the weight without this adapter, {@code [out, in]} float32
     * @throws IllegalStateException when this adapter was not merged
     */
    NDArray unmergedWeight(NDArray mergedWeight, NDManager manager);
}

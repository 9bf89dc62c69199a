package org.peft4j.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.peft4j.core.nn.DenseLinear;
import org.peft4j.core.nn.ModuleBlock;
import org.peft4j.models.layers.HiddenActivation;

/**
 * The SwiGLU feed-forward layer ({@code mlp}, Shazeer 2020): {@code down_proj(act(gate_proj(x)) ·
 * up_proj(x))} with {@code act = silu} for Llama. Children {@code gate_proj} and {@code up_proj}
 * {@code [I, H]}, {@code down_proj} {@code [H, I]}, all {@link DenseLinear} (biases only with
 * {@code mlp_bias}).
 *
 * <p>Input {@code NDList([B, T, H])}, output {@code NDList([B, T, H])}.
 */
public final class LlamaMlp extends ModuleBlock {

    private final HiddenActivation activation;

    /**
     * Creates the layer.
     *
     * @param config the model config
     */
    public LlamaMlp(LlamaConfig config) {
        int h = config.hiddenSize();
        int i = config.intermediateSize();
        registerModule("gate_proj", new DenseLinear(h, i, config.mlpBias()));
        registerModule("up_proj", new DenseLinear(h, i, config.mlpBias()));
        registerModule("down_proj", new DenseLinear(i, h, config.mlpBias()));
        this.activation = config.hiddenAct();
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray gate = activation.apply(module("gate_proj").forward(ps, inputs, training, params).head());
        NDArray up = module("up_proj").forward(ps, inputs, training, params).head();
        return module("down_proj").forward(ps, new NDList(gate.mul(up)), training, params);
    }
}

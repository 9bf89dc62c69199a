package org.peft4j.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.peft4j.core.nn.ModuleBlock;
import org.peft4j.models.layers.RmsNorm;

/**
 * One pre-norm decoder layer ({@code model.layers.N}): {@code h = x + self_attn(input_layernorm(x))},
 * {@code out = h + mlp(post_attention_layernorm(h))}. Children {@code self_attn}, {@code mlp},
 * {@code input_layernorm}, {@code post_attention_layernorm}.
 *
 * <p>Input: {@code NDList(hidden [B, T, H], mask, cos, sin)} as {@link LlamaAttention}. Output:
 * {@code NDList([B, T, H])}.
 */
public final class LlamaDecoderLayer extends ModuleBlock {

    /**
     * Creates the layer.
     *
     * @param config the model config
     */
    public LlamaDecoderLayer(LlamaConfig config) {
        registerModule("self_attn", new LlamaAttention(config));
        registerModule("mlp", new LlamaMlp(config));
        registerModule("input_layernorm", new RmsNorm(config.hiddenSize(), config.rmsNormEps()));
        registerModule("post_attention_layernorm", new RmsNorm(config.hiddenSize(), config.rmsNormEps()));
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDArray normed = module("input_layernorm").forward(ps, new NDList(x), training, params).head();
        NDList attentionIn = new NDList(normed, inputs.get(1), inputs.get(2), inputs.get(3));
        NDArray h = x.add(module("self_attn").forward(ps, attentionIn, training, params).head());
        NDArray normed2 = module("post_attention_layernorm").forward(ps, new NDList(h), training, params).head();
        return new NDList(h.add(module("mlp").forward(ps, new NDList(normed2), training, params).head()));
    }
}

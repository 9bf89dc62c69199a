package org.peft4j.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.peft4j.core.nn.DenseLinear;
import org.peft4j.core.nn.InvertedDropout;
import org.peft4j.core.nn.ModuleBlock;
import org.peft4j.core.nn.AutogradScalars;

/**
 * Grouped-query self-attention with rotary positions ({@code self_attn}): children {@code q_proj}
 * {@code [heads·d, H]}, {@code k_proj} and {@code v_proj} {@code [kvHeads·d, H]}, {@code o_proj}
 * {@code [H, heads·d]}, all {@link DenseLinear} (biases only with {@code attention_bias}). Each
 * key/value head serves {@code heads / kvHeads} consecutive query heads, as HF's {@code repeat_kv}.
 *
 * <p>Input: {@code NDList(hidden [B, T, H], mask [B|1, 1, T, T], cos [1, 1, T, d], sin [1, 1, T,
 * d])} with an additive mask (see {@link org.peft4j.models.layers.AttentionMasks#causal}). Output:
 * {@code NDList([B, T, H])} in the input's manager.
 */
public final class LlamaAttention extends ModuleBlock {

    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final float dropout;

    /**
     * Creates the attention of a config.
     *
     * @param config the model config
     */
    public LlamaAttention(LlamaConfig config) {
        int h = config.hiddenSize();
        this.heads = config.numAttentionHeads();
        this.kvHeads = config.numKeyValueHeads();
        this.headDim = config.headDim();
        this.dropout = (float) config.attentionDropout();
        boolean qkv = config.qkvBias();
        registerModule("q_proj", new DenseLinear(h, (long) heads * headDim, qkv));
        registerModule("k_proj", new DenseLinear(h, (long) kvHeads * headDim, qkv));
        registerModule("v_proj", new DenseLinear(h, (long) kvHeads * headDim, qkv));
        registerModule("o_proj", new DenseLinear((long) heads * headDim, h, config.attentionBias()));
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray hidden = inputs.get(0);
        NDArray mask = inputs.get(1);
        NDArray cos = inputs.get(2);
        NDArray sin = inputs.get(3);
        long batch = hidden.getShape().get(0);
        long length = hidden.getShape().get(1);
        NDArray q = split(project("q_proj", ps, hidden, training, params), batch, length, heads);
        NDArray k = split(project("k_proj", ps, hidden, training, params), batch, length, kvHeads);
        NDArray v = split(project("v_proj", ps, hidden, training, params), batch, length, kvHeads);
        q = RotaryEmbedding.apply(q, cos, sin);
        k = RotaryEmbedding.apply(k, cos, sin);
        if (kvHeads != heads) {
            // [B, kv, T, d] -> [B, heads, T, d], each kv head repeated for its group of query heads
            k = k.repeat(1, heads / kvHeads);
            v = v.repeat(1, heads / kvHeads);
        }
        NDArray scores = AutogradScalars.div(q.matMul(k.transpose(0, 1, 3, 2)), (float) Math.sqrt(headDim)).add(mask);
        NDArray probs = scores.softmax(-1);
        if (training && dropout > 0) {
            probs = InvertedDropout.apply(probs, dropout, true);
        }
        NDArray context = probs.matMul(v).transpose(0, 2, 1, 3).reshape(batch, length, (long) heads * headDim);
        return module("o_proj").forward(ps, new NDList(context), training, params);
    }

    private NDArray split(NDArray x, long batch, long length, int n) {
        return x.reshape(batch, length, n, headDim).transpose(0, 2, 1, 3);
    }

    private NDArray project(String child, ParameterStore ps, NDArray x, boolean training, PairList<String, Object> params) {
        return module(child).forward(ps, new NDList(x), training, params).head();
    }
}

package org.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.peft4j.core.nn.DenseLinear;
import org.peft4j.core.nn.InvertedDropout;
import org.peft4j.core.nn.ModuleBlock;
import org.peft4j.core.nn.AutogradScalars;

/**
 * Multi-head scaled dot-product self-attention ({@code attention.self}): children {@code query},
 * {@code key}, {@code value}, each a {@link DenseLinear} {@code [H, H]} with bias. All heads are
 * computed at once with batched matrix products over {@code [B, heads, T, headSize]}.
 *
 * <p>Input: {@code NDList(hidden [B, T, H])} or {@code NDList(hidden, mask [B, 1, 1, T])} with an
 * additive mask (see {@link org.peft4j.models.layers.AttentionMasks}). Output: {@code NDList(context
 * [B, T, H])} in the input's manager. Attention-probability dropout only when training.
 */
public final class BertSelfAttention extends ModuleBlock {

    private final int heads;
    private final int headSize;
    private final float dropout;
    private final float scale;

    /**
     * Creates the attention of a config.
     *
     * @param config the model config
     */
    public BertSelfAttention(BertConfig config) {
        int h = config.hiddenSize();
        registerModule("query", new DenseLinear(h, h, true));
        registerModule("key", new DenseLinear(h, h, true));
        registerModule("value", new DenseLinear(h, h, true));
        this.heads = config.numAttentionHeads();
        this.headSize = config.headSize();
        this.dropout = (float) config.attentionProbsDropoutProb();
        this.scale = (float) (1.0 / Math.sqrt(headSize));
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray hidden = inputs.get(0);
        NDArray mask = inputs.size() > 1 ? inputs.get(1) : null;
        long batch = hidden.getShape().get(0);
        long length = hidden.getShape().get(1);
        // [B, T, H] -> [B, heads, T, headSize]. The 1/sqrt(headSize) scale is applied to q ([B, T, H])
        // rather than to the scores ([B, heads, T, T], T/headSize times larger): the same product up to
        // float rounding, with a smaller pass forward and backward
        NDArray q = AutogradScalars.mul(project("query", ps, hidden, training, params), scale).reshape(batch, length, heads, headSize).transpose(0, 2, 1, 3);
        // keys go straight to [B, heads, headSize, T] so that q·kᵀ is one batched product
        NDArray kT = project("key", ps, hidden, training, params).reshape(batch, length, heads, headSize).transpose(0, 2, 3, 1);
        NDArray v = project("value", ps, hidden, training, params).reshape(batch, length, heads, headSize).transpose(0, 2, 1, 3);
        NDArray scores = q.matMul(kT);
        if (mask != null) {
            scores = scores.add(mask);
        }
        NDArray probs = scores.softmax(-1);
        if (training && dropout > 0) {
            probs = InvertedDropout.apply(probs, dropout, true);
        }
        NDArray context = probs.matMul(v).transpose(0, 2, 1, 3).reshape(batch, length, (long) heads * headSize);
        return new NDList(context);
    }

    private NDArray project(String child, ParameterStore ps, NDArray x, boolean training, PairList<String, Object> params) {
        return module(child).forward(ps, new NDList(x), training, params).head();
    }
}

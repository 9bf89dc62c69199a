package org.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A BERT encoder used as a sentence-transformers embedding model (for example all-MiniLM-L6-v2):
 * the encoder's token states are mean-pooled over the attention mask and, optionally, scaled to unit
 * L2 norm. The block has exactly the paths of a {@link BertModel} (by default without a pooler, as
 * sentence-transformers checkpoints have none), so its parameters are the keys of the checkpoint's
 * {@code model.safetensors}.
 *
 * <p>Input as {@link BertModel}. Output: {@code NDList(last_hidden_state [B, T, H],
 * sentence_embedding [B, H])}, float32. Mean pooling follows sentence-transformers' {@code Pooling}
 * ({@code sum(h·mask) / max(sum(mask), 1e-9)}); normalisation follows {@code
 * torch.nn.functional.normalize} ({@code x / max(‖x‖₂, 1e-12)}).
 */
public final class BertSentenceEmbedder extends BertModel {

    private final boolean normalize;

    /**
     * Creates an embedder without a pooler.
     *
     * @param config the model config
     * @param normalize whether to scale embeddings to unit L2 norm
     */
    public BertSentenceEmbedder(BertConfig config, boolean normalize) {
        this(config, false, normalize);
    }

    /**
     * Creates an embedder.
     *
     * @param config the model config
     * @param addPoolingLayer whether the block has (an unused) {@code pooler}, to match a checkpoint
     * @param normalize whether to scale embeddings to unit L2 norm
     */
    public BertSentenceEmbedder(BertConfig config, boolean addPoolingLayer, boolean normalize) {
        super(config, addPoolingLayer);
        this.normalize = normalize;
    }

    /**
     * Returns whether embeddings are L2-normalised.
     *
     * @return whether normalised
     */
    public boolean normalizes() {
        return normalize;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray hidden = encode(ps, inputs, training, params);
        NDArray mask = inputs.size() > 1 ? inputs.get(1) : null;
        NDArray embedding = meanPool(hidden, mask, normalize);
        embedding.setName("sentence_embedding");
        return new NDList(hidden, embedding);
    }

    /**
     * Mean-pools token states over the real (unmasked) tokens.
     *
     * @param hidden {@code [B, T, H]}
     * @param attentionMask {@code [B, T]} 1/0, or null (all tokens count)
     * @param normalize whether to scale each result to unit L2 norm
     * @return {@code [B, H]} float32, in {@code hidden}'s manager
     */
    public static NDArray meanPool(NDArray hidden, NDArray attentionMask, boolean normalize) {
        NDArray pooled;
        if (attentionMask == null) {
            pooled = hidden.mean(new int[] {1});
        } else {
            NDArray weights = attentionMask.toType(DataType.FLOAT32, false).expandDims(2);
            NDArray summed = hidden.mul(weights).sum(new int[] {1});
            NDArray counts = weights.sum(new int[] {1}).maximum(1e-9f);
            pooled = summed.div(counts);
        }
        if (normalize) {
            NDArray norm = pooled.norm(new int[] {1}, true).maximum(1e-12f);
            pooled = pooled.div(norm);
        }
        return pooled;
    }
}

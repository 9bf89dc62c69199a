package org.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.peft4j.core.nn.DenseLinear;
import org.peft4j.core.nn.InvertedDropout;
import org.peft4j.core.nn.ModuleBlock;
import org.peft4j.models.layers.LayerNorm;

/**
 * The projection after attention with its residual ({@code attention.output}, also used as {@code
 * output} after the feed-forward layer): {@code LayerNorm(dropout(dense(x)) + residual)}. Children
 * {@code dense} ({@link DenseLinear} {@code [H, in]}) and {@code LayerNorm}.
 *
 * <p>Input: {@code NDList(x [B, T, in], residual [B, T, H])}. Output: {@code NDList([B, T, H])}.
 */
public final class BertSelfOutput extends ModuleBlock {

    private final float dropout;

    /**
     * Creates the block.
     *
     * @param config the model config
     * @param inFeatures width of {@code x}: H after attention, {@code intermediate_size} after the
     *     feed-forward layer
     */
    public BertSelfOutput(BertConfig config, int inFeatures) {
        registerModule("dense", new DenseLinear(inFeatures, config.hiddenSize(), true));
        registerModule("LayerNorm", new LayerNorm(config.hiddenSize(), config.layerNormEps()));
        this.dropout = (float) config.hiddenDropoutProb();
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = module("dense").forward(ps, new NDList(inputs.get(0)), training, params).head();
        if (training && dropout > 0) {
            x = InvertedDropout.apply(x, dropout, true);
        }
        return module("LayerNorm").forward(ps, new NDList(x.add(inputs.get(1))), training, params);
    }
}

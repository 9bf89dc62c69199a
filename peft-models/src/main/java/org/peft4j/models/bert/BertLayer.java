package org.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.peft4j.core.nn.ModuleBlock;

/**
 * One transformer layer of the encoder ({@code encoder.layer.N}): children {@code attention},
 * {@code intermediate} and {@code output} (post-norm, as BERT).
 *
 * <p>Input: {@code NDList(hidden [B, T, H], mask [B, 1, 1, T])} (mask optional). Output: {@code
 * NDList([B, T, H])}.
 */
public final class BertLayer extends ModuleBlock {

    /**
     * Creates the layer.
     *
     * @param config the model config
     */
    public BertLayer(BertConfig config) {
        registerModule("attention", new BertAttention(config));
        registerModule("intermediate", new BertIntermediate(config));
        registerModule("output", new BertSelfOutput(config, config.intermediateSize()));
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray attended = module("attention").forward(ps, inputs, training, params).head();
        NDArray inner = module("intermediate").forward(ps, new NDList(attended), training, params).head();
        return module("output").forward(ps, new NDList(inner, attended), training, params);
    }
}

package org.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.peft4j.core.nn.ModuleBlock;

/**
 * BERT's attention sub-layer ({@code attention}): children {@code self} ({@link BertSelfAttention})
 * and {@code output} ({@link BertSelfOutput}).
 *
 * <p>Input: {@code NDList(hidden [B, T, H], mask [B, 1, 1, T])} (mask optional). Output: {@code
 * NDList([B, T, H])}.
 */
public final class BertAttention extends ModuleBlock {

    /**
     * Creates the sub-layer.
     *
     * @param config the model config
     */
    public BertAttention(BertConfig config) {
        registerModule("self", new BertSelfAttention(config));
        registerModule("output", new BertSelfOutput(config, config.hiddenSize()));
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray hidden = inputs.get(0);
        NDArray context = module("self").forward(ps, inputs, training, params).head();
        return module("output").forward(ps, new NDList(context, hidden), training, params);
    }
}

package org.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.peft4j.core.nn.DenseLinear;
import org.peft4j.core.nn.ModuleBlock;

/**
 * BERT's pooler ({@code pooler}): {@code tanh(dense(hidden[:, 0]))}, the first ({@code [CLS]})
 * token's state through child {@code dense} ({@link DenseLinear} {@code [H, H]}).
 *
 * <p>Input {@code NDList([B, T, H])}, output {@code NDList([B, H])}.
 */
public final class BertPooler extends ModuleBlock {

    /**
     * Creates the pooler.
     *
     * @param config the model config
     */
    public BertPooler(BertConfig config) {
        registerModule("dense", new DenseLinear(config.hiddenSize(), config.hiddenSize(), true));
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray first = inputs.get(0).get(":, 0, :");
        return new NDList(module("dense").forward(ps, new NDList(first), training, params).head().tanh());
    }
}

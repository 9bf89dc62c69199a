package org.peft4j.models.bert;

import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.peft4j.core.nn.DenseLinear;
import org.peft4j.core.nn.ModuleBlock;
import org.peft4j.models.layers.HiddenActivation;

/**
 * The first feed-forward layer ({@code intermediate}): {@code act(dense(x))}, child {@code dense}
 * ({@link DenseLinear} {@code [intermediate_size, H]}).
 *
 * <p>Input {@code NDList([B, T, H])}, output {@code NDList([B, T, intermediate_size])}.
 */
public final class BertIntermediate extends ModuleBlock {

    private final HiddenActivation activation;

    /**
     * Creates the layer.
     *
     * @param config the model config
     */
    public BertIntermediate(BertConfig config) {
        registerModule("dense", new DenseLinear(config.hiddenSize(), config.intermediateSize(), true));
        this.activation = config.hiddenAct();
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(activation.apply(module("dense").forward(ps, inputs, training, params).head()));
    }
}

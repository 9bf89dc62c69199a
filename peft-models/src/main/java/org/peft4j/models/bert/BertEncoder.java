package org.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.peft4j.core.nn.ModuleBlock;
import org.peft4j.models.layers.ModuleList;

import java.util.ArrayList;
import java.util.List;

/**
 * The stack of layers ({@code encoder}): child {@code layer}, a {@link ModuleList} of {@link
 * BertLayer}s named {@code 0..L-1}.
 *
 * <p>Input: {@code NDList(hidden [B, T, H], mask [B, 1, 1, T])} (mask optional). Output: {@code
 * NDList([B, T, H])}, the last layer's output.
 */
public final class BertEncoder extends ModuleBlock {

    /**
     * Creates the stack.
     *
     * @param config the model config
     */
    public BertEncoder(BertConfig config) {
        List<Block> layers = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(new BertLayer(config));
        }
        registerModule("layer", new ModuleList(layers));
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        ModuleList layers = (ModuleList) module("layer");
        NDArray hidden = inputs.get(0);
        NDArray mask = inputs.size() > 1 ? inputs.get(1) : null;
        for (int i = 0; i < layers.size(); i++) {
            NDList in = mask == null ? new NDList(hidden) : new NDList(hidden, mask);
            hidden = layers.get(i).forward(ps, in, training, params).head();
        }
        return new NDList(hidden);
    }
}

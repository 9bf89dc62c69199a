package org.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
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
        NDManager owner = hidden.getManager();
        for (int i = 0; i < layers.size(); i++) {
            // Each layer runs in its own sub-manager, closed when the layer is done: its temporaries
            // (scores, probabilities, the feed-forward activation, ...) are freed at once instead of
            // when the caller's manager closes. Tensors the autograd graph saved for the backward pass
            // stay alive through the graph's own references.
            NDArray next;
            try (NDManager scope = owner.newSubManager()) {
                if (mask == null) {
                    scope.tempAttachAll(hidden);
                } else {
                    scope.tempAttachAll(hidden, mask);
                }
                NDList in = mask == null ? new NDList(hidden) : new NDList(hidden, mask);
                next = layers.get(i).forward(ps, in, training, params).head();
                next.attach(owner);
            }
            if (i > 0) {
                hidden.close(); // the previous layer's output, which this block created
            }
            hidden = next;
        }
        return new NDList(hidden);
    }
}

package org.peft4j.lora.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.peft4j.core.nn.DenseLinear;
import org.peft4j.core.nn.ModuleBlock;

/**
 * A two-layer net whose adapted layers are not square, so that both {@code out > in} ({@code up},
 * {@code [wide, narrow]}) and {@code out < in} ({@code down}, {@code [narrow, wide]}) are exercised:
 * {@code logits = classifier(down(tanh(up(x))) + x)}. Input {@code [batch, narrow]}.
 */
public final class RectangularNet extends ModuleBlock {

    /**
     * Builds the net with random weights (seed the engine first).
     *
     * @param manager the owner of the parameters
     * @param narrow the input size
     * @param wide the hidden size
     * @param labels the number of outputs
     */
    public RectangularNet(NDManager manager, int narrow, int wide, int labels) {
        registerModule("up", new DenseLinear(narrow, wide, true));
        registerModule("down", new DenseLinear(wide, narrow, true));
        registerModule("classifier", new DenseLinear(narrow, labels, true));
        initialize(manager, DataType.FLOAT32);
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray h = Activation.tanh(module("up").forward(ps, new NDList(x), training).singletonOrThrow());
        NDArray d = module("down").forward(ps, new NDList(h), training).singletonOrThrow().add(x);
        return module("classifier").forward(ps, new NDList(d), training);
    }
}

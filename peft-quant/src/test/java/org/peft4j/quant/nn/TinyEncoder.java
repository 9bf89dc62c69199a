package org.peft4j.quant.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.peft4j.core.nn.ModuleBlock;

/**
 * A two-level model with Hugging Face style names: {@code attention.query}, {@code
 * attention.value}, {@code output}, {@code classifier}. Forward chains them; children are looked up
 * by name, so replacements run.
 */
final class TinyEncoder extends ModuleBlock {

    /** The {@code attention} child. */
    static final class Attention extends ModuleBlock {

        Attention(NDManager m, int width, long seed) {
            registerModule("query", Layers.dense(m, width, width, true, seed));
            registerModule("value", Layers.dense(m, width, width, true, seed + 10));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            NDList q = module("query").forward(ps, inputs, training);
            return module("value").forward(ps, q, training);
        }
    }

    TinyEncoder(NDManager m, int width, int classes, long seed) {
        registerModule("attention", new Attention(m, width, seed));
        registerModule("output", Layers.dense(m, width, width, true, seed + 20));
        registerModule("classifier", Layers.dense(m, width, classes, true, seed + 30));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList h = module("attention").forward(ps, inputs, training);
        h = module("output").forward(ps, h, training);
        return module("classifier").forward(ps, h, training);
    }

    NDArray run(NDArray x) {
        return forward(new ParameterStore(x.getManager(), false), new NDList(x), false).singletonOrThrow();
    }
}

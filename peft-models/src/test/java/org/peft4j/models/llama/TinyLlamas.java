package org.peft4j.models.llama;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;

import org.peft4j.core.nn.BlockPaths;

import java.util.List;

/** Small Llama models made in the tests (random HF-style initialisation, fixed seed). */
final class TinyLlamas {

    private TinyLlamas() {}

    /** vocab 48, H 32, 2 layers, 4 query heads sharing 2 key/value heads of width 8, Llama 3's theta. */
    static LlamaConfig.Builder config() {
        return LlamaConfig.builder()
                .vocabSize(48)
                .hiddenSize(32)
                .intermediateSize(64)
                .numHiddenLayers(2)
                .numAttentionHeads(4)
                .numKeyValueHeads(2)
                .maxPositionEmbeddings(64)
                .rmsNormEps(1e-5)
                .ropeTheta(500000)
                .bosTokenId(1)
                .eosTokenIds(List.of(2));
    }

    static LlamaForCausalLM random(LlamaConfig config, NDManager manager, int seed) {
        Engine.getInstance().setRandomSeed(seed);
        LlamaForCausalLM model = new LlamaForCausalLM(config);
        // std 0.2 instead of HF's 0.02 so that the tiny model's outputs depend visibly on every weight
        for (Parameter p : BlockPaths.parameters(model).values()) {
            if (p.getType() == Parameter.Type.WEIGHT) {
                p.setInitializer(new ai.djl.training.initializer.NormalInitializer(0.2f));
            }
        }
        model.initialize(manager, DataType.FLOAT32);
        return model;
    }

    static NDArray ids(NDManager manager, long[]... rows) {
        long[] flat = new long[rows.length * rows[0].length];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, flat, r * rows[0].length, rows[0].length);
        }
        return manager.create(flat, new Shape(rows.length, rows[0].length));
    }

    static NDArray logits(LlamaForCausalLM model, NDManager manager, NDArray... inputs) {
        return model.forward(new ParameterStore(manager, false), new NDList(inputs), false).head();
    }

    /**
     * One step of plain SGD on every parameter: forward with labels, backward, {@code w -= lr·g},
     * gradients zeroed.
     *
     * @return the loss before the step
     */
    static float sgdStep(LlamaForCausalLM model, NDManager manager, NDArray ids, float lr) {
        float loss;
        try (NDManager step = manager.newSubManager()) {
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDList out = model.forward(new ParameterStore(step, false), new NDList(ids, ids.onesLike(), ids), true);
                NDArray l = out.get("loss");
                collector.backward(l);
                loss = l.getFloat();
            }
            for (Parameter p : BlockPaths.parameters(model).values()) {
                NDArray w = p.getArray();
                NDArray g = w.getGradient();
                g.attach(step);
                NDArray update = g.mul(lr);
                update.attach(step);
                w.subi(update);
                g.subi(g);
            }
        }
        return loss;
    }
}

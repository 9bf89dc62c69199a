package org.peft4j.models.layers;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.NormalInitializer;

import org.peft4j.core.nn.BlockPaths;

/**
 * The initial values Hugging Face gives a freshly created BERT or Llama model ({@code
 * _init_weights}): every weight matrix and embedding table N(0, {@code initializer_range}), every
 * bias 0; normalisation weights keep their own 1 (and bias 0). Only parameters without an array are
 * affected when the model is later initialised, so loaded weights are never overwritten.
 */
public final class HfInitialization {

    private HfInitialization() {}

    /**
     * Sets the initializers of every parameter under {@code root}.
     *
     * @param root the model
     * @param std {@code initializer_range}, e.g. 0.02
     */
    public static void apply(Block root, double std) {
        Initializer normal = new NormalInitializer((float) std);
        for (Parameter p : BlockPaths.parameters(root).values()) {
            if (p.getType() == Parameter.Type.WEIGHT) {
                p.setInitializer(normal);
            } else if (p.getType() == Parameter.Type.BIAS) {
                p.setInitializer(Initializer.ZEROS);
            }
        }
    }
}

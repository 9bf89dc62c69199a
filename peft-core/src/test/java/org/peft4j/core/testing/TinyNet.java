package org.peft4j.core.testing;

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
 * A small transformer-shaped MLP for tests, with HF-style paths: {@code
 * encoder.layer.N.attention.self.{query,key,value}}, {@code encoder.layer.N.output.dense}, {@code
 * pooler.dense}, {@code classifier}. Input {@code [batch, hidden]} float32, output logits {@code
 * [batch, labels]}. The arithmetic is arbitrary but uses every layer, so an adapter anywhere changes
 * the output.
 */
public final class TinyNet extends ModuleBlock {

    private final int layers;

    /** A container with named children and no forward of its own. */
    public static final class Container extends ModuleBlock {
        /**
         * Registers a child.
         *
         * @param name the name
         * @param b the child
         * @param <B> its type
         * @return the child
         */
        public <B extends ai.djl.nn.Block> B add(String name, B b) {
            return registerModule(name, b);
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> params) {
            throw new IllegalStateException("container");
        }
    }

    /**
     * Builds the net with random weights initialised in {@code manager} (seed the engine first).
     *
     * @param manager the owner of the parameters
     * @param hidden hidden size
     * @param layers number of layers
     * @param labels number of output labels
     */
    public TinyNet(NDManager manager, int hidden, int layers, int labels) {
        this.layers = layers;
        Container encoder = registerModule("encoder", new Container());
        Container layerList = encoder.add("layer", new Container());
        for (int i = 0; i < layers; i++) {
            Container layer = layerList.add(Integer.toString(i), new Container());
            Container attention = layer.add("attention", new Container());
            Container self = attention.add("self", new Container());
            self.add("query", new DenseLinear(hidden, hidden, true));
            self.add("key", new DenseLinear(hidden, hidden, true));
            self.add("value", new DenseLinear(hidden, hidden, true));
            Container output = layer.add("output", new Container());
            output.add("dense", new DenseLinear(hidden, hidden, true));
        }
        Container pooler = registerModule("pooler", new Container());
        pooler.add("dense", new DenseLinear(hidden, hidden, true));
        registerModule("classifier", new DenseLinear(hidden, labels, true));
        initialize(manager, DataType.FLOAT32);
    }

    private ModuleBlock sub(ModuleBlock b, String name) {
        return (ModuleBlock) b.module(name);
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray h = inputs.singletonOrThrow();
        ModuleBlock layerList = sub(sub(this, "encoder"), "layer");
        for (int i = 0; i < layers; i++) {
            ModuleBlock layer = sub(layerList, Integer.toString(i));
            ModuleBlock self = sub(sub(layer, "attention"), "self");
            NDArray q = self.module("query").forward(ps, new NDList(h), training).singletonOrThrow();
            NDArray k = self.module("key").forward(ps, new NDList(h), training).singletonOrThrow();
            NDArray v = self.module("value").forward(ps, new NDList(h), training).singletonOrThrow();
            NDArray mixed = Activation.tanh(q.mul(k)).add(v);
            NDArray o = sub(layer, "output").module("dense").forward(ps, new NDList(mixed), training).singletonOrThrow();
            h = h.add(o);
        }
        NDArray pooled = Activation.tanh(sub(this, "pooler").module("dense").forward(ps, new NDList(h), training).singletonOrThrow());
        return module("classifier").forward(ps, new NDList(pooled), training);
    }
}

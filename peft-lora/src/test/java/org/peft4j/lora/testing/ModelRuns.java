package org.peft4j.lora.testing;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;
import ai.djl.translate.Batchifier;

import org.peft4j.core.nn.BlockPaths;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Forward and backward passes, weight reads and batch lists for the method tests. */
public final class ModelRuns {

    private ModelRuns() {}

    /**
     * Runs the model in inference mode.
     *
     * @param block the model
     * @param x the input (copied into a scratch manager)
     * @return the output values
     */
    public static float[] forward(Block block, NDArray x) {
        try (NDManager sub = x.getManager().newSubManager()) {
            NDArray in = x.duplicate();
            in.attach(sub);
            return block.forward(new ParameterStore(sub, false), new NDList(in), false).singletonOrThrow().toFloatArray();
        }
    }

    /**
     * Runs forward in training mode and backward of the sum of squared outputs, so that every
     * trainable parameter on the path gets a gradient.
     *
     * @param block the model
     * @param x the input
     */
    public static void backward(Block block, NDArray x) {
        try (NDManager sub = x.getManager().newSubManager()) {
            NDArray in = x.duplicate();
            in.attach(sub);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray out = block.forward(new ParameterStore(sub, false), new NDList(in), true).singletonOrThrow();
                gc.backward(out.square().sum());
            }
        }
    }

    /**
     * Returns the largest absolute difference.
     *
     * @param a values
     * @param b values of the same length
     * @return {@code max |a - b|}
     */
    public static float maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("lengths differ: " + a.length + " vs " + b.length);
        }
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    /**
     * Returns the largest absolute value.
     *
     * @param a values
     * @return {@code max |a|}
     */
    public static float maxAbs(float[] a) {
        float m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    /**
     * Returns the parameters that require a gradient, by path.
     *
     * @param block the model
     * @return sorted path to parameter
     */
    public static Map<String, Parameter> trainable(Block block) {
        Map<String, Parameter> out = new TreeMap<>();
        BlockPaths.parameters(block).forEach((k, p) -> {
            if (p.requiresGradient()) {
                out.put(k, p);
            }
        });
        return out;
    }

    /**
     * Copies every parameter's values, by path.
     *
     * @param block the model
     * @return sorted path to values
     */
    public static Map<String, float[]> snapshot(Block block) {
        Map<String, float[]> out = new TreeMap<>();
        BlockPaths.parameters(block).forEach((k, p) -> out.put(k, p.getArray().toFloatArray()));
        return out;
    }

    /**
     * Builds classification batches, each in its own manager (closing a DJL {@link Batch} closes
     * its manager).
     *
     * @param manager the parent manager
     * @param x the inputs, {@code [n, features]} row-major
     * @param features the number of features
     * @param labels the class indices, length {@code n}
     * @param batchSize samples per batch (the last batch may be smaller)
     * @return the batches
     */
    public static Iterator<Batch> batches(NDManager manager, float[] x, int features, long[] labels, int batchSize) {
        List<Batch> out = new ArrayList<>();
        int n = labels.length;
        for (int start = 0; start < n; start += batchSize) {
            int size = Math.min(batchSize, n - start);
            NDManager bm = manager.newSubManager();
            float[] xs = new float[size * features];
            System.arraycopy(x, start * features, xs, 0, xs.length);
            long[] ys = new long[size];
            System.arraycopy(labels, start, ys, 0, size);
            NDArray data = bm.create(xs, new Shape(size, features));
            NDArray label = bm.create(ys);
            out.add(new Batch(bm, new NDList(data), new NDList(label), size, Batchifier.STACK, Batchifier.STACK, 0, 0));
        }
        return out.iterator();
    }
}

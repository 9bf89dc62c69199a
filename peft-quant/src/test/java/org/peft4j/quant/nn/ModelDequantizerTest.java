package org.peft4j.quant.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.peft4j.core.adapter.Adapter;
import org.peft4j.core.adapter.AdapterHost;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.core.nn.DenseLinear;
import org.peft4j.core.nn.ModuleBlock;
import org.peft4j.quant.QuantConfig;

import java.util.List;
import java.util.Map;

/** {@link ModelQuantizer#dequantize}: 4-bit layers back to dense ones, with adapters wrapped around them. */
class ModelDequantizerTest {

    private static final QuantConfig KEEP_HEAD = QuantConfig.qlora().withKeep("classifier");
    private static final int WIDTH = 64;
    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    /** A test adapter: delta(x) = x·ΔWᵀ with a fixed ΔW, as any method's dense update. */
    private static final class FixedDelta extends ModuleBlock implements Adapter {
        private final Parameter delta;

        FixedDelta(NDArray deltaWeight) {
            delta = registerParameter(Parameter.builder().setName("delta").setType(Parameter.Type.WEIGHT)
                    .optArray(deltaWeight).optRequiresGrad(false).build());
        }

        @Override
        public String peftType() {
            return "TEST";
        }

        @Override
        public NDArray deltaWeight(NDManager m) {
            return delta.getArray().duplicate().toDevice(m.getDevice(), true);
        }

        @Override
        public Map<String, Parameter> stateTensors() {
            return Map.of("delta", delta);
        }

        @Override
        public void setTrainable(boolean trainable) {}

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            NDArray x = inputs.singletonOrThrow();
            return new NDList(x.matMul(delta.getArray().transpose()));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }
    }

    /** A quantized TinyEncoder whose attention.query carries an adapter with a small update (std 1e-3, like early training). */
    private static AdapterHost quantizedWithAdapter(NDManager m, TinyEncoder model) {
        ModelQuantizer.quantize(model, KEEP_HEAD);
        AdapterHost host = new AdapterHost("attention.query", BlockPaths.get(model, "attention.query"));
        BlockPaths.replace(model, "attention.query", host);
        host.addAdapter("a", new FixedDelta(Layers.normal(m, 9, 1e-3f, WIDTH, WIDTH)));
        host.setActive(List.of("a"));
        return host;
    }

    @Test
    void everyFourBitLayerBecomesADenseFrozenLayerComputingTheSame() {
        try (NDManager m = manager.newSubManager()) {
            TinyEncoder model = new TinyEncoder(m, WIDTH, 3, 5);
            AdapterHost host = quantizedWithAdapter(m, model);
            NDArray x = Layers.normal(m, 3, 1f, 4, WIDTH);
            float[] before = model.run(x).toFloatArray();
            float[] queryWeight = ((QuantizedLinear) host.baseBlock()).weightCopy(m).toFloatArray();

            List<String> replaced = ModelQuantizer.dequantize(model);

            assertEquals(List.of("attention.query.base_layer", "attention.value", "output"), replaced);
            for (String path : replaced) {
                DenseLinear dense = (DenseLinear) BlockPaths.get(model, path);
                assertFalse(dense.weight().requiresGradient(), path + " stays frozen");
            }
            assertTrue(host.base() instanceof DenseLinear, "the host merges into the dense copy");
            // the dense weight is the dequantized weight, bit for bit
            assertEquals(0f, maxAbsDiff(queryWeight, host.base().weightCopy(m).toFloatArray()));
            // same float32 weights through the same kernels: 1e-6 allows for another summation order only
            assertTrue(maxAbsDiff(before, model.run(x).toFloatArray()) <= 1e-6f);
        }
    }

    // Merging a small update into 4-bit weights requantizes W + delta, which rounds most of it away; merging into the
    // dequantized copy keeps dequant(W) + delta up to float32 rounding, so the merged model is the one that was run.
    @Test
    void mergingIntoTheDequantizedCopyKeepsTheModelThatMergingIntoFourBitsRounds() {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = Layers.normal(m, 3, 1f, 4, WIDTH);
            TinyEncoder dense = new TinyEncoder(m, WIDTH, 3, 5);
            AdapterHost denseHost = quantizedWithAdapter(m, dense);
            float[] unmerged = dense.run(x).toFloatArray();
            ModelQuantizer.dequantize(dense);
            denseHost.merge(List.of("a"), true);
            float denseError = maxAbsDiff(unmerged, dense.run(x).toFloatArray());

            TinyEncoder fourBit = new TinyEncoder(m, WIDTH, 3, 5);
            AdapterHost fourBitHost = quantizedWithAdapter(m, fourBit);
            fourBitHost.merge(List.of("a"), true);
            float fourBitError = maxAbsDiff(unmerged, fourBit.run(x).toFloatArray());

            // relative to the largest output (this untrained stack's outputs reach ~1e4): merging changes only the
            // float32 summation order, a few ulps (1.2e-7 each), so 1e-6; the 4-bit merge's rounding is far larger
            float scale = maxAbsDiff(unmerged, new float[unmerged.length]);
            assertTrue(denseError <= 1e-6f * scale, "dense merge error " + denseError + " at scale " + scale);
            assertTrue(fourBitError > 100 * Math.max(denseError, 1e-7f * scale),
                    "a 4-bit merge should round the update: " + fourBitError + " vs " + denseError + " at scale " + scale);
        }
    }

    @Test
    void aModelWithoutFourBitLayersIsLeftAsItIs() {
        try (NDManager m = manager.newSubManager()) {
            TinyEncoder model = new TinyEncoder(m, WIDTH, 3, 6);
            Object query = BlockPaths.get(model, "attention.query");
            assertEquals(List.of(), ModelQuantizer.dequantize(model));
            assertTrue(BlockPaths.get(model, "attention.query") == query);
        }
    }

    private static float maxAbsDiff(float[] a, float[] b) {
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}

package org.peft4j.models.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.peft4j.core.nn.BlockPaths;

import java.util.List;

class LayersTest {

    NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void geluIsTheErfFormAndGeluNewTheTanhForm() {
        NDArray x = manager.create(new float[] {-3f, -1f, 0f, 0.5f, 1f, 2f});
        float[] exact = HiddenActivation.GELU.apply(x).toFloatArray();
        float[] tanh = HiddenActivation.fromHfName("gelu_new").apply(x).toFloatArray();
        double[] xs = {-3, -1, 0, 0.5, 1, 2};
        // Φ(x) values: erf via its relation to the normal CDF, Φ(1) = 0.8413447460685429 (tables)
        assertEquals(0.8413447460685429, exact[4], 1e-6);
        assertEquals(-0.15865525393145707, exact[1], 1e-6);
        for (int i = 0; i < xs.length; i++) {
            double t = 0.5 * xs[i] * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (xs[i] + 0.044715 * Math.pow(xs[i], 3))));
            assertEquals(t, tanh[i], 1e-6, "gelu_new(" + xs[i] + ")");
            // the two forms agree to about 1e-3 (Hendrycks and Gimpel 2016)
            assertEquals(exact[i], tanh[i], 2e-3);
        }
        assertEquals(1.0 / (1 + Math.exp(-2.0)) * 2.0, HiddenActivation.SILU.apply(x).toFloatArray()[5], 1e-6);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HiddenActivation.fromHfName("mish"));
        assertTrue(e.getMessage().contains("allowed: gelu"), e.getMessage());
    }

    @Test
    void layerNormUsesTheBiasedVarianceEpsilonWeightAndBias() {
        LayerNorm norm = new LayerNorm(4, 1e-5);
        norm.initialize(manager, DataType.FLOAT32);
        BlockPaths.parameters(norm).get("weight").getArray().set(new float[] {1f, 2f, 1f, 1f});
        BlockPaths.parameters(norm).get("bias").getArray().set(new float[] {0f, 0f, 0f, 1f});
        NDArray x = manager.create(new float[] {1, 2, 3, 6}, new Shape(1, 4));
        float[] y = norm.forward(new ParameterStore(manager, false), new NDList(x), false).head().toFloatArray();
        // mean 3, biased variance (4 + 1 + 0 + 9) / 4 = 3.5
        double sd = Math.sqrt(3.5 + 1e-5);
        double[] expected = {-2 / sd, 2 * (-1 / sd), 0, 3 / sd + 1};
        for (int i = 0; i < 4; i++) {
            assertEquals(expected[i], y[i], 1e-6);
        }
    }

    @Test
    void embeddingLooksUpRowsByIdAndKeepsTheIdsManager() {
        Embedding emb = new Embedding(3, 2, 0.02f);
        emb.initialize(manager, DataType.FLOAT32);
        BlockPaths.parameters(emb).get("weight").getArray().set(new float[] {0, 1, 10, 11, 20, 21});
        try (NDManager batch = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray ids = batch.create(new long[] {2, 0, 1, 2}, new Shape(2, 2));
            NDArray out = emb.forward(new ParameterStore(batch, false), new NDList(ids), false).head();
            assertEquals(new Shape(2, 2, 2), out.getShape());
            assertEquals(List.of(20f, 21f, 0f, 1f, 10f, 11f, 20f, 21f), boxed(out.toFloatArray()));
            assertTrue(out.getManager() == batch);
        }
    }

    @Test
    void paddingMaskBlocksPaddedKeysWithTheLowestFloat() {
        NDArray mask = manager.create(new long[] {1, 1, 0}, new Shape(1, 3));
        NDArray additive = AttentionMasks.padding(mask);
        assertEquals(new Shape(1, 1, 1, 3), additive.getShape());
        assertEquals(List.of(0f, 0f, -Float.MAX_VALUE), boxed(additive.toFloatArray()));
    }

    @Test
    void causalMaskBlocksFutureAndPaddedKeys() {
        NDArray mask = manager.create(new long[] {0, 1, 1}, new Shape(1, 3));
        float[] m = AttentionMasks.causal(manager, 3, mask).toFloatArray();
        float b = -Float.MAX_VALUE;
        // rows: queries 0..2; columns: keys 0..2; key 0 is padding
        assertEquals(List.of(b, b, b, b, 0f, b, b, 0f, 0f), boxed(m));
    }

    @Test
    void slidingWindowMaskKeepsItselfAndTheWindowMinusOneKeysBefore() {
        float b = -Float.MAX_VALUE;
        // window 2, length 4: query i sees keys i-1 and i (transformers: kv_idx > q_idx - window)
        float[] m = AttentionMasks.causal(manager, 4, null, 2).toFloatArray();
        assertEquals(List.of(0f, b, b, b, 0f, 0f, b, b, b, 0f, 0f, b, b, b, 0f, 0f), boxed(m));
        // window 0 is the plain causal mask; a window as long as the sequence changes nothing
        assertEquals(boxed(AttentionMasks.causal(manager, 4, null).toFloatArray()), boxed(AttentionMasks.causal(manager, 4, null, 0).toFloatArray()));
        assertEquals(boxed(AttentionMasks.causal(manager, 4, null).toFloatArray()), boxed(AttentionMasks.causal(manager, 4, null, 4).toFloatArray()));
    }

    @Test
    void moduleListNamesChildrenByIndex() {
        ModuleList list = new ModuleList(List.of(new RmsNorm(2, 1e-6), new RmsNorm(2, 1e-6)));
        assertEquals(List.of("0.weight", "1.weight"), List.copyOf(BlockPaths.parameters(list).keySet()));
        assertThrows(IndexOutOfBoundsException.class, () -> list.get(2));
    }

    private static List<Float> boxed(float[] a) {
        java.util.List<Float> out = new java.util.ArrayList<>();
        for (float f : a) {
            // -0.0 + 0.0 = 0.0: masks hold -0.0 where 0 * lowest was formed; both add nothing
            out.add(f + 0.0f);
        }
        return out;
    }
}

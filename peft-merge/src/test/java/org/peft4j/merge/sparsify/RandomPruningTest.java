package org.peft4j.merge.sparsify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.peft4j.merge.Arrays32.assertValues;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RandomPruningTest {

    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    // t = [2,-4,6,8], mask = [1,0,1,0], density 0.5. Exact in float32: tolerance 0.
    @Test
    void inverseDensityRescaleDividesKeptEntriesByDensityAsPeftDoes() {
        NDArray t = manager.create(new float[] {2f, -4f, 6f, 8f});
        NDArray mask = manager.create(new float[] {1f, 0f, 1f, 0f});
        assertValues(
                new float[] {4f, 0f, 12f, 0f},
                RandomPruning.apply(t, mask, 0.5, DareRescale.INVERSE_DENSITY),
                0);
    }

    @Test
    void l1RescaleRestoresTheL1NormAsMergekitDoes() {
        NDArray t = manager.create(new float[] {2f, -4f, 6f, 8f});
        NDArray mask = manager.create(new float[] {1f, 0f, 1f, 0f});
        // ||t||_1 = 20, ||t*mask||_1 = 8 -> factor 2.5
        assertValues(
                new float[] {5f, 0f, 15f, 0f}, RandomPruning.apply(t, mask, 0.5, DareRescale.L1_NORM), 0);
    }

    @Test
    void noRescaleKeepsTheMaskedEntries() {
        NDArray t = manager.create(new float[] {2f, -4f, 6f, 8f});
        NDArray mask = manager.create(new float[] {1f, 0f, 1f, 0f});
        assertValues(new float[] {2f, 0f, 6f, 0f}, RandomPruning.apply(t, mask, 0.5, DareRescale.NONE), 0);
    }

    @Test
    void sameSeedGivesTheSameMaskAndAnotherSeedAnother() {
        Shape shape = new Shape(64, 33);
        float[] a = BernoulliMask.sample(manager, shape, 0.3, 42L).toFloatArray();
        float[] b = BernoulliMask.sample(manager, shape, 0.3, 42L).toFloatArray();
        float[] c = BernoulliMask.sample(manager, shape, 0.3, 43L).toFloatArray();
        assertArrayEquals(a, b, 0f);
        assertFalse(Arrays.equals(a, c));
    }

    @Test
    void maskKeepsTheRequestedFractionOfEntries() {
        int n = 200_000;
        float[] m = BernoulliMask.sample(manager, new Shape(n), 0.3, 7L).toFloatArray();
        double kept = 0;
        for (float v : m) {
            kept += v;
        }
        // binomial std of the kept fraction: sqrt(0.3 * 0.7 / n) ~ 0.001; 5 sigma = 0.005
        assertEquals(0.3, kept / n, 0.005);
    }

    @Test
    void derivedSeedsDifferPerTensorAndInput() {
        long a = MaskSource.derive(1L, "layers.0.weight", 0);
        long b = MaskSource.derive(1L, "layers.0.weight", 1);
        long c = MaskSource.derive(1L, "layers.1.weight", 0);
        assertFalse(a == b || a == c || b == c);
        assertEquals(a, MaskSource.derive(1L, "layers.0.weight", 0));
    }
}

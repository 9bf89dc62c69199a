package org.peft4j.lora.eva;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.peft4j.lora.linalg.Svd;
import org.peft4j.lora.linalg.SvdResult;

/**
 * The incremental PCA EVA runs per layer (scikit-learn's {@code IncrementalPCA.partial_fit}, as PEFT
 * ports it). References are computed independently: the exact SVD of the centred data, and the
 * column mean and variance in double precision with two passes.
 */
class IncrementalPcaTest {

    private NDManager manager;

    @BeforeEach
    void setUp() {
        Engine.getInstance().setRandomSeed(77);
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** {@code rows} samples of {@code mean + Z·basis}: centred rank {@code rank}, features {@code n}. */
    private float[] lowRank(int rows, int n, int rank, float shift) {
        NDArray z = manager.randomNormal(new Shape(rows, rank));
        NDArray basis = manager.randomNormal(new Shape(rank, n));
        NDArray mean = manager.randomNormal(new Shape(1, n)).add(shift);
        return z.matMul(basis).add(mean).toFloatArray();
    }

    private static double totalSquares(float[] x, int rows, int n) {
        double t = 0;
        for (double[] row : PcaChecks.centred(x, rows, n)) {
            for (double v : row) {
                t += v * v;
            }
        }
        return t;
    }

    @Test
    void oneBatchGivesThePrincipalComponentsOfTheCentredBatch() {
        int rows = 40;
        int n = 12;
        int k = 5;
        float[] x = manager.randomNormal(new Shape(rows, n)).mul(manager.arange(1f, n + 1f)).toFloatArray(); // distinct spectrum
        try (IncrementalPca pca = new IncrementalPca(k, Svd.truncated(k), manager); SvdResult exact = PcaChecks.exactPca(manager, x, rows, n)) {
            assertNull(pca.partialFit(manager.create(x, new Shape(rows, n))), "no similarity before a second batch");
            float[] comps = pca.components();
            float[] v = exact.vt().toFloatArray();
            float[] s = exact.s().toFloatArray();
            double total = totalSquares(x, rows, n);
            double[] ratio = pca.explainedVarianceRatio();
            for (int i = 0; i < k; i++) {
                assertEquals(1.0, PcaChecks.absCos(comps, i, v, i, n), 1e-5, "component " + i);
                assertEquals((double) s[i] * s[i] / total, ratio[i], 1e-5, "explained variance ratio " + i);
                // svd_flip(u_based_decision=False): the entry of largest magnitude is positive
                float best = 0;
                for (int j = 0; j < n; j++) {
                    best = Math.abs(comps[i * n + j]) > Math.abs(best) ? comps[i * n + j] : best;
                }
                assertTrue(best > 0, "component " + i + " sign");
            }
            assertArrayEquals(java.util.Arrays.copyOf(s, k), pca.singularValues(), 1e-4f);
        }
    }

    @Test
    void batchesGiveTheWholeDataPcaWhenItsRankFitsTheComponents() {
        // centred rank 3 <= k: nothing is truncated, so the incremental result is exact (Ross et al. 2008)
        int rows = 90;
        int n = 10;
        int k = 4;
        float[] x = lowRank(rows, n, 3, 2f);
        try (IncrementalPca pca = new IncrementalPca(k, Svd.truncated(k), manager); SvdResult exact = PcaChecks.exactPca(manager, x, rows, n)) {
            for (int b = 0; b < 3; b++) {
                float[] part = java.util.Arrays.copyOfRange(x, b * 30 * n, (b + 1) * 30 * n);
                pca.partialFit(manager.create(part, new Shape(30, n)));
            }
            assertEquals(90, pca.samplesSeen());
            float[] comps = pca.components();
            float[] v = exact.vt().toFloatArray();
            float[] s = exact.s().toFloatArray();
            double total = totalSquares(x, rows, n);
            double sum = 0;
            for (int i = 0; i < 3; i++) {
                assertEquals(1.0, PcaChecks.absCos(comps, i, v, i, n), 1e-4, "component " + i);
                assertEquals((double) s[i] * s[i] / total, pca.explainedVarianceRatio()[i], 1e-4, "ratio " + i);
                sum += pca.explainedVarianceRatio()[i];
            }
            assertEquals(1.0, sum, 1e-4, "three components explain everything");
        }
    }

    @Test
    void meanAndVarianceAreExactForAnyData() {
        int n = 7;
        float[] x = manager.randomNormal(3f, 2f, new Shape(75, n), ai.djl.ndarray.types.DataType.FLOAT32).toFloatArray();
        try (IncrementalPca pca = new IncrementalPca(3, Svd.truncated(3), manager)) {
            int[] sizes = {20, 31, 24};
            int start = 0;
            for (int size : sizes) {
                pca.partialFit(manager.create(java.util.Arrays.copyOfRange(x, start * n, (start + size) * n), new Shape(size, n)));
                start += size;
            }
            double[][] c = PcaChecks.centred(x, 75, n);
            double[] mean = pca.mean();
            double[] var = pca.variance();
            for (int j = 0; j < n; j++) {
                double m = 0;
                for (int i = 0; i < 75; i++) {
                    m += x[i * n + j];
                }
                m /= 75;
                double v = 0;
                for (double[] row : c) {
                    v += row[j] * row[j];
                }
                v /= 75; // population variance, as sklearn's var_
                assertEquals(m, mean[j], 1e-9 * Math.max(1, Math.abs(m)), "mean " + j);
                assertEquals(v, var[j], 1e-9 * v, "variance " + j);
            }
        }
    }

    @Test
    void aRepeatedBatchConvergesWithSimilarityOne() {
        int n = 8;
        NDArray x = manager.randomNormal(new Shape(30, n)).mul(manager.arange(1f, n + 1f));
        try (IncrementalPca pca = new IncrementalPca(n, Svd.truncated(n), manager)) {
            pca.partialFit(x);
            double[] sim = pca.partialFit(x);
            for (double s : sim) {
                assertEquals(1.0, s, 1e-5);
            }
        }
    }

    @Test
    void badBatchesAreRefusedWithPeftsMessages() {
        try (IncrementalPca pca = new IncrementalPca(6, Svd.truncated(6), manager)) {
            IllegalArgumentException wide = assertThrows(IllegalArgumentException.class, () -> pca.partialFit(manager.randomNormal(new Shape(20, 4))));
            assertTrue(wide.getMessage().contains("n_components=6 invalid for n_features=4"), wide.getMessage());
            IllegalArgumentException few = assertThrows(IllegalArgumentException.class, () -> pca.partialFit(manager.randomNormal(new Shape(5, 10))));
            assertTrue(few.getMessage().contains("must be less or equal to the batch number of samples 5"), few.getMessage());
            pca.partialFit(manager.randomNormal(new Shape(10, 10)));
            IllegalArgumentException other = assertThrows(IllegalArgumentException.class, () -> pca.partialFit(manager.randomNormal(new Shape(10, 11))));
            assertTrue(other.getMessage().contains("does not match"), other.getMessage());
        }
    }

    @Test
    void flipAndSimilarityFollowSklearnAndTorch() {
        float[] rows = {0.1f, -0.9f, 0.2f, 0.5f, 0.4f, -0.3f};
        IncrementalPca.flipSigns(rows, 2, 3);
        assertArrayEquals(new float[] {-0.1f, 0.9f, -0.2f, 0.5f, 0.4f, -0.3f}, rows);
        double[] sim = IncrementalPca.cosineSimilarity(new float[] {1, 0, 0, 1}, new float[] {-1, 0, 1, 1}, 2, 2);
        assertEquals(-1.0, sim[0], 1e-12);
        assertEquals(Math.sqrt(0.5), sim[1], 1e-12);
    }
}

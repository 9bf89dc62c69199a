package org.peft4j.merge.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.peft4j.lora.linalg.Svd;
import org.peft4j.lora.linalg.SvdResult;
import org.peft4j.merge.SeededTensors;

// References are computed here in plain Java double arithmetic from the definitions in
// peft-semantics.md 7.1 (Delta W_i = s_i B_i A_i; cat and svd reproduce sum_i w_i Delta W_i).
class AdapterCombinationTest {

    private static final int OUT = 12;
    private static final int IN = 10;
    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static LoraFactors adapter(long seed, int r, double scaling) {
        return new LoraFactors(
                SeededTensors.gaussian(manager, seed, 0.4, r, IN),
                SeededTensors.gaussian(manager, seed + 1000, 0.4, OUT, r),
                scaling);
    }

    // sum_i w_i s_i B_i A_i in double, row-major [OUT, IN]
    private static double[] reference(List<LoraFactors> adapters, double[] w) {
        double[] out = new double[OUT * IN];
        for (int k = 0; k < adapters.size(); k++) {
            LoraFactors f = adapters.get(k);
            float[] a = f.a().toFloatArray();
            float[] b = f.b().toFloatArray();
            int r = f.rank();
            for (int i = 0; i < OUT; i++) {
                for (int j = 0; j < IN; j++) {
                    double s = 0;
                    for (int p = 0; p < r; p++) {
                        s += (double) b[i * r + p] * a[p * IN + j];
                    }
                    out[i * IN + j] += w[k] * f.scaling() * s;
                }
            }
        }
        return out;
    }

    private static double maxAbsDiff(double[] expected, NDArray actual) {
        float[] v = actual.toFloatArray();
        double m = 0;
        for (int i = 0; i < v.length; i++) {
            m = Math.max(m, Math.abs(expected[i] - v[i]));
        }
        return m;
    }

    private static List<LoraFactors> three() {
        return List.of(adapter(1, 2, 2.0), adapter(2, 3, 0.5), adapter(3, 4, 1.5));
    }

    @Test
    void catReproducesTheWeightedSumOfDeltaWeightsExactly() {
        List<LoraFactors> adapters = three();
        double[] w = {0.7, -1.2, 0.4};
        LoraFactors merged = AdapterCombination.builder(CombinationType.CAT).weights(w).build().combine("l", adapters);
        assertEquals(9, merged.rank(), "cat rank is the sum of ranks");
        assertEquals(1.0, merged.scaling());
        // |Delta W| entries are O(1); float32 products over rank 9 round at ~1e-7
        assertTrue(maxAbsDiff(reference(adapters, w), merged.deltaWeight()) < 1e-6);
    }

    @Test
    void svdAtTheSumOfRanksReproducesTheWeightedSum() {
        List<LoraFactors> adapters = three();
        double[] w = {0.7, -1.2, 0.4};
        LoraFactors merged =
                AdapterCombination.builder(CombinationType.SVD).weights(w).svdRank(9).build().combine("l", adapters);
        assertEquals(9, merged.rank());
        // the combined Delta W has rank 9, so the exact rank-9 SVD (LAPACK sgesvdx, float32)
        // reproduces it up to float32 round-off: 1e-5 absolute on entries of order 1
        assertTrue(maxAbsDiff(reference(adapters, w), merged.deltaWeight()) < 1e-5);
    }

    @Test
    void randomizedSvdAtTheSumOfRanksAlsoReproducesTheWeightedSum() {
        List<LoraFactors> adapters = three();
        double[] w = {0.7, -1.2, 0.4};
        LoraFactors merged =
                AdapterCombination.builder(CombinationType.SVD)
                        .weights(w)
                        .svdRank(9)
                        .svd(k -> Svd.randomized(k, 10, 4, 7L))
                        .build()
                        .combine("l", adapters);
        // rank 9 <= sketch width, so the range finder captures Delta exactly; float32 work: 1e-5
        assertTrue(maxAbsDiff(reference(adapters, w), merged.deltaWeight()) < 1e-5);
    }

    @Test
    void svdBelowTheSumOfRanksIsTheBestApproximationOfThatRank() {
        List<LoraFactors> adapters = three();
        double[] w = {0.7, -1.2, 0.4};
        LoraFactors merged =
                AdapterCombination.builder(CombinationType.SVD).weights(w).svdRank(4).build().combine("l", adapters);
        NDArray target = manager.create(toFloats(reference(adapters, w)), new Shape(OUT, IN));
        // Eckart-Young: the error of the best rank-4 approximation is the norm of the discarded
        // singular values, here taken from the full SVD of the target
        try (SvdResult full = Svd.full().decompose(target, manager)) {
            float[] s = full.s().toFloatArray();
            double discarded = 0;
            for (int i = 4; i < s.length; i++) {
                discarded += (double) s[i] * s[i];
            }
            double err = Math.sqrt(target.sub(merged.deltaWeight()).square().sum().getFloat());
            assertEquals(Math.sqrt(discarded), err, 1e-4);
        }
    }

    private static float[] toFloats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    @Test
    void svdDefaultsToTheLargestAdapterRank() {
        LoraFactors merged =
                AdapterCombination.builder(CombinationType.SVD).weights(1, 1, 1).build().combine("l", three());
        assertEquals(4, merged.rank());
    }

    @Test
    void linearWithOneAdapterIsExactlyWeightTimesDeltaWeightIncludingNegativeWeights() {
        List<LoraFactors> one = List.of(adapter(5, 3, 2.0));
        for (double w : new double[] {0.6, -1.5}) {
            LoraFactors merged =
                    AdapterCombination.builder(CombinationType.LINEAR).weights(w).build().combine("l", one);
            assertEquals(3, merged.rank());
            // PEFT test tolerance for this invariant is 1e-4; float32 rounding is ~1e-7 here
            assertTrue(maxAbsDiff(reference(one, new double[] {w}), merged.deltaWeight()) < 1e-6);
        }
    }

    @Test
    void oneAdapterIsTreatedAsLinearWhateverTheType() {
        List<LoraFactors> one = List.of(adapter(6, 3, 2.0));
        LoraFactors merged =
                AdapterCombination.builder(CombinationType.SVD).weights(0.5).svdRank(2).build().combine("l", one);
        assertEquals(3, merged.rank());
        assertTrue(maxAbsDiff(reference(one, new double[] {0.5}), merged.deltaWeight()) < 1e-6);
    }

    @Test
    void linearMergesFactorsSeparatelyWithSquareRootWeights() {
        List<LoraFactors> two = List.of(adapter(7, 3, 2.0), adapter(8, 3, 0.5));
        double[] w = {1.0, -2.0};
        LoraFactors merged = AdapterCombination.builder(CombinationType.LINEAR).weights(w).build().combine("l", two);
        // wA = sign(w s) sqrt|w s| = [sqrt 2, -1], wB = sqrt|w s| = [sqrt 2, 1]
        float[] a0 = two.get(0).a().toFloatArray();
        float[] a1 = two.get(1).a().toFloatArray();
        float[] b0 = two.get(0).b().toFloatArray();
        float[] b1 = two.get(1).b().toFloatArray();
        float[] expectedA = new float[a0.length];
        float[] expectedB = new float[b0.length];
        for (int i = 0; i < a0.length; i++) {
            expectedA[i] = (float) (Math.sqrt(2) * a0[i] - a1[i]);
        }
        for (int i = 0; i < b0.length; i++) {
            expectedB[i] = (float) (Math.sqrt(2) * b0[i] + b1[i]);
        }
        // float32 weighted sums of two terms: 1e-6
        assertArrayEquals(expectedA, merged.a().toFloatArray(), 1e-6f);
        assertArrayEquals(expectedB, merged.b().toFloatArray(), 1e-6f);
        // the documented caveat: with cross terms B_i A_j the product is not sum_i w_i Delta W_i
        assertTrue(maxAbsDiff(reference(two, w), merged.deltaWeight()) > 0.1);
    }

    @Test
    void linearFamilyRejectsUnequalRanksWithPeftsMessage() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> AdapterCombination.builder(CombinationType.TIES).weights(1, 1).density(0.5).build()
                                .combine("l", List.of(adapter(9, 2, 1.0), adapter(10, 3, 1.0))));
        assertTrue(e.getMessage().startsWith("All adapters must have the same r value"), e.getMessage());
    }

    @Test
    void catOfAnAdapterWithWeightsPlusAndMinusOneIsZero() {
        LoraFactors f = adapter(11, 3, 2.0);
        LoraFactors merged =
                AdapterCombination.builder(CombinationType.CAT).weights(1, -1).build().combine("l", List.of(f, f));
        assertTrue(merged.deltaWeight().abs().max().getFloat() < 1e-6f);
    }

    @Test
    void densityIsRequiredForTiesAndDareTypes() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> AdapterCombination.builder(CombinationType.DARE_TIES_SVD).weights(1, 1).build());
        assertTrue(e.getMessage().contains("density"), e.getMessage());
    }

    @Test
    void peftNamesRoundTrip() {
        for (CombinationType t : CombinationType.values()) {
            assertEquals(t, CombinationType.fromPeftName(t.peftName()));
        }
        assertEquals(CombinationType.DARE_TIES_SVD, CombinationType.fromPeftName("dare_ties_svd"));
        assertThrows(IllegalArgumentException.class, () -> CombinationType.fromPeftName("sum"));
    }

    @Test
    void svdClampBoundsEveryFactorEntryByTheQuantile() {
        // PEFT (_svd_generalized_task_arithmetic_weighted_adapter): U = U[:, :r] @ diag(S[:r]) first,
        // then hi = torch.quantile(cat(U.flatten(), Vh.flatten()), clamp) over the signed entries
        // (linear interpolation between order statistics), and B = U.clamp(-hi, hi), A =
        // Vh.clamp(-hi, hi). So the quantile and the clamp see U diag(S), not the orthonormal U.
        double q = 0.9;
        LoraFactors merged =
                AdapterCombination.builder(CombinationType.SVD)
                        .weights(1, 1, 1)
                        .svdClamp(q)
                        .build()
                        .combine("l", three());
        LoraFactors unclamped =
                AdapterCombination.builder(CombinationType.SVD).weights(1, 1, 1).build().combine("l", three());
        assertEquals(new Shape(OUT, 4), merged.b().getShape());
        assertEquals(new Shape(4, IN), merged.a().getShape());
        double[] b = MergeUtilsReference.toDoubles(unclamped.b().toFloatArray());
        double[] a = MergeUtilsReference.toDoubles(unclamped.a().toFloatArray());
        double[] all = new double[b.length + a.length];
        System.arraycopy(b, 0, all, 0, b.length);
        System.arraycopy(a, 0, all, b.length, a.length);
        double hi = MergeUtilsReference.quantile(all, q);
        assertTrue(hi > 0, "the 0.9 quantile of these factors is positive");
        // every entry is the unclamped one clamped to [-hi, hi]: the unclamped factors come from the
        // same deterministic SVD, hi is interpolated in float32 by the code and in double here
        // (relative ~1e-7 on entries of order 1), so 1e-6 absolute
        float[] gotB = merged.b().toFloatArray();
        float[] gotA = merged.a().toFloatArray();
        int clampedB = 0;
        for (int i = 0; i < b.length; i++) {
            assertEquals(Math.max(-hi, Math.min(hi, b[i])), gotB[i], 1e-6, "B entry " + i);
            clampedB += Math.abs(b[i]) > hi ? 1 : 0;
        }
        for (int i = 0; i < a.length; i++) {
            assertEquals(Math.max(-hi, Math.min(hi, a[i])), gotA[i], 1e-6, "A entry " + i);
        }
        assertTrue(clampedB > 0, "test data: the clamp changes some entries of B");
        // the quantile of cat(U, Vh) before multiplying S would be at most 1 (orthonormal columns
        // and rows) and clamp far more of B: this data tells the two orders apart
        double[] u = new double[b.length];
        int rank = 4;
        for (int k = 0; k < rank; k++) {
            double norm = 0;
            for (int i = 0; i < OUT; i++) {
                norm += b[i * rank + k] * b[i * rank + k];
            }
            norm = Math.sqrt(norm); // S_k: U's columns have unit norm
            for (int i = 0; i < OUT; i++) {
                u[i * rank + k] = b[i * rank + k] / norm;
            }
        }
        double[] beforeS = new double[all.length];
        System.arraycopy(u, 0, beforeS, 0, u.length);
        System.arraycopy(a, 0, beforeS, u.length, a.length);
        assertTrue(Math.abs(MergeUtilsReference.quantile(beforeS, q) - hi) > 1e-2,
                "test data: the quantile before and after multiplying S coincide");
    }
}

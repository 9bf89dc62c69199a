package org.peft4j.merge.global;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.peft4j.merge.Arrays32.assertValues;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.peft4j.core.PeftException;
import org.peft4j.merge.checkpoint.CheckpointView;
import org.peft4j.merge.checkpoint.InMemoryCheckpoint;
import org.peft4j.merge.checkpoint.MergedCheckpoint;
import org.peft4j.merge.checkpoint.PassProgressListener;
import org.peft4j.merge.method.Densities;
import org.peft4j.merge.method.TaskVectorMerge;
import org.peft4j.merge.method.Weights;

/**
 * TIES as the authors' code does it ({@code ties_merging}: {@code topk_values_mask} over the whole
 * flattened task vector, {@code resolve_sign} with {@code resolve_zero_signs("majority")}, {@code
 * disjoint_merge("mean")}; methods-spec.md Choices #9).
 */
class TiesOriginalTest {

    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    // ---- the golden checkpoint, worked out by hand ----------------------------------------------

    /*
     * Three floating tensors (8 entries per task vector), an integer tensor, and a head only the
     * fine-tunes have. All values are multiples of 1/4, so every sum and difference below is exact
     * in float32.
     *
     *              embed.w            layer.0.w         layer.1.w
     * base         [2, 2, 2]          [1, 1, 1]         [0, 0]
     * tau_A        [-6, 0.25, 1.5]    [4, -1, 0.5]      [3, 2]
     * tau_B        [1, 0.5, -8]       [-2, -1, 0.75]    [-3, 5]
     *
     * Trim, density K = 0.5, d = 8: k = 8 - int(4) = 4, threshold = 4th smallest |tau| of the task.
     *   |tau_A| sorted 0.25 0.5 1 1.5 2 3 4 6 -> 1.5; kept: embed [-6, 0, 1.5], layer.0 [4, 0, 0],
     *     layer.1 [3, 2] (a per-tensor trim to half of each tensor would keep 1 of layer.1's 2).
     *   |tau_B| sorted 0.5 0.75 1 1 2 3 5 8 -> 1, a magnitude two entries share; both are kept
     *     (|tau| >= threshold): embed [1, 0, -8], layer.0 [-2, -1, 0], layer.1 [-3, 5].
     * Sum:  embed [-5, 0, -6.5], layer.0 [2, -1, 0], layer.1 [0, 7]
     * sign: embed [-, 0, -],     layer.0 [+, -, 0],  layer.1 [0, +]
     *   sum of the signs over the model: 2 - 3 = -1, so the majority sign is -1 and the three zero
     *   sums elect -1 (layer.1[0] among them, where the per-tensor rules of PEFT and mergekit elect +1).
     * Disjoint mean of the kept entries agreeing with the elected sign (count clamped to 1):
     *   embed   [-6 (A; B's 1 disagrees), 0 (none), -8 (B; A's 1.5 disagrees)]
     *   layer.0 [4 (A), -1 (B), 0 (none)]
     *   layer.1 [-3 (B; A's 3 disagrees with the majority), (2 + 5) / 2 = 3.5]
     * With lambda 0.5: base + tau / 2 = embed [-1, 2, -2], layer.0 [3, 0.5, 1], layer.1 [-1.5, 1.75].
     */
    private static CheckpointView goldenBase() {
        return checkpoint("embed.w", new float[] {2, 2, 2}, "layer.0.w", new float[] {1, 1, 1},
                "layer.1.w", new float[] {0, 0}, "position_ids", new long[] {0, 1, 2});
    }

    private static CheckpointView goldenA() {
        return checkpoint("embed.w", new float[] {-4, 2.25f, 3.5f}, "layer.0.w", new float[] {5, 0, 1.5f},
                "layer.1.w", new float[] {3, 2}, "position_ids", new long[] {0, 1, 2}, "classifier.weight", new float[] {7});
    }

    private static CheckpointView goldenB() {
        return checkpoint("embed.w", new float[] {3, 2.5f, -6}, "layer.0.w", new float[] {-1, 0, 1.75f},
                "layer.1.w", new float[] {-3, 5}, "position_ids", new long[] {0, 1, 2}, "classifier.weight", new float[] {9});
    }

    @Test
    void wholeModelTrimAndGlobalMajoritySignGiveTheHandDerivedMerge() {
        CheckpointView base = goldenBase();
        List<CheckpointView> inputs = List.of(goldenA(), goldenB());
        TiesOriginal ties = TiesOriginal.prepare(base, inputs, 0.5, manager);
        assertEquals(8, ties.taskVectorLength(), "integer tensors and the new head are outside the task vector");
        assertEquals(1.5f, ties.threshold(0));
        assertEquals(1f, ties.threshold(1));
        assertEquals(-1, ties.majoritySign());

        MergedCheckpoint merged = MergedCheckpoint.of(base, inputs, new TaskVectorMerge(ties, 0.5));
        // quarters throughout: exact in float32, tolerance 0
        assertValues(new float[] {-1, 2, -2}, merged.load("embed.w", manager), 0);
        assertValues(new float[] {3, 0.5f, 1}, merged.load("layer.0.w", manager), 0);
        assertValues(new float[] {-1.5f, 1.75f}, merged.load("layer.1.w", manager), 0);
        assertArrayEquals(new long[] {0, 1, 2}, merged.load("position_ids", manager).toLongArray());
        assertValues(new float[] {7}, merged.load("classifier.weight", manager), 0);
    }

    /*
     * The zero-majority path. One tensor, density 1 (k = 3 - int(3) = 0: nothing is trimmed),
     * base [0.5, 0.5, 0.5]; halves throughout, so every difference and sum is exact in float32.
     *
     *   tau_A = A - base = [1.5, 0.5, 2.5] - 0.5 = [1, 0, 2]
     *   tau_B = B - base = [-0.5, -2.5, 0.5] - 0.5 = [-1, -3, 0]
     *   sum = [0, -3, 2], sign = [0, -, +]; sum of the signs over the model = 1 - 1 = 0, so the
     *   majority sign is 0 and entry 0 keeps sign 0. The original's selection
     *   where(s > 0, tau > 0, tau < 0) then takes the negative entries there:
     *   entry 0: only tau_B's -1 -> -1 / 1 = -1 (tau_A's 1 is left out)
     *   entry 1: elected -, tau_B's -3 agrees (tau_A's 0 never does) -> -3
     *   entry 2: elected +, tau_A's 2 agrees (tau_B's 0 never does) -> 2
     * With lambda 1: base + tau = [0.5 - 1, 0.5 - 3, 0.5 + 2] = [-0.5, -2.5, 2.5].
     */
    @Test
    void aZeroMajoritySignMakesZeroSumEntriesKeepTheNegativeValues() {
        CheckpointView base = checkpoint("w", new float[] {0.5f, 0.5f, 0.5f});
        List<CheckpointView> inputs = List.of(
                checkpoint("w", new float[] {1.5f, 0.5f, 2.5f}), checkpoint("w", new float[] {-0.5f, -2.5f, 0.5f}));
        TiesOriginal ties = TiesOriginal.prepare(base, inputs, 1.0, manager);
        assertEquals(0f, ties.threshold(0), "density 1 trims nothing");
        assertEquals(0f, ties.threshold(1), "density 1 trims nothing");
        assertEquals(0, ties.majoritySign());

        MergedCheckpoint merged = MergedCheckpoint.of(base, inputs, new TaskVectorMerge(ties, 1.0));
        // halves throughout: exact in float32, tolerance 0
        assertValues(new float[] {-0.5f, -2.5f, 2.5f}, merged.load("w", manager), 0);
    }

    /*
     * Leaving embed.w out of the task vector: d = 5, k = 5 - int(2.5) = 3. |tau_A| over layer.0 and
     * layer.1 sorted: 0.5 1 2 3 4 -> 2; |tau_B|: 0.75 1 2 3 5 -> 2.
     */
    @Test
    void keysLeftOutOfTheTaskVectorAreNotCountedAndCannotBeMerged() {
        CheckpointView base = goldenBase();
        List<CheckpointView> inputs = List.of(goldenA(), goldenB());
        TiesOriginal ties = TiesOriginal.prepare(
                base, inputs, Densities.uniform(0.5), key -> !key.startsWith("embed."), PassProgressListener.silent(), manager);
        assertEquals(5, ties.taskVectorLength());
        assertEquals(List.of("layer.0.w", "layer.1.w"), ties.keys());
        assertEquals(2f, ties.threshold(0));
        assertEquals(2f, ties.threshold(1));
        NDArray stack = manager.create(new float[] {-6, 0.25f, 1.5f, 1, 0.5f, -8}, new Shape(2, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ties.combine("embed.w", stack));
        assertTrue(e.getMessage().contains("'embed.w'"), e.getMessage());
    }

    @Test
    void everyPassReportsEveryTensorOfTheTaskVector() {
        List<String> seen = new ArrayList<>();
        TiesOriginal.prepare(goldenBase(), List.of(goldenA(), goldenB()), Densities.uniform(0.5), key -> true,
                (pass, index, total, name) -> seen.add(pass + " " + index + "/" + total + " " + name), manager);
        assertEquals(9, seen.size(), "3 passes x 3 tensors: " + seen);
        assertEquals("TIES magnitudes 1/2 1/3 embed.w", seen.get(0));
        assertEquals("TIES majority sign 3/3 layer.1.w", seen.get(8));
    }

    @Test
    void perTaskWeightsOtherThanOneAreRefused() {
        TiesOriginal ties = TiesOriginal.prepare(goldenBase(), List.of(goldenA(), goldenB()), 0.5, manager);
        assertEquals(Weights.ones(2).toString(), ties.weights().toString());
        assertTrue(ties.withWeights(Weights.ones(2)) == ties);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ties.withWeights(Weights.of(2, 1)));
        assertTrue(e.getMessage().contains("no per-task weights"), e.getMessage());
    }

    @Test
    void aNaNInATaskVectorIsRefusedNamingTheTensorAndInput() {
        CheckpointView bad = checkpoint("embed.w", new float[] {3, Float.NaN, -6}, "layer.0.w", new float[] {-1, 0, 1.75f},
                "layer.1.w", new float[] {-3, 5});
        PeftException e = assertThrows(PeftException.class,
                () -> TiesOriginal.prepare(goldenBase(), List.of(goldenA(), bad), 0.5, manager));
        assertTrue(e.getMessage().contains("input 1") && e.getMessage().contains("'embed.w'"), e.getMessage());
    }

    // ---- against an in-memory reference over the flattened vector --------------------------------

    @Test
    void equalsTheFlattenedReferenceOnARandomCheckpoint() {
        assertMatchesReference(21, new double[] {0.3, 0.3, 0.3});
    }

    @Test
    void equalsTheFlattenedReferenceWithOneDensityPerTaskIncludingOne() {
        assertMatchesReference(22, new double[] {0.55, 1.0, 0.1});
    }

    /**
     * Three tasks over four tensors, one of 700,001 entries (more than one merge block of 2^21 / 3
     * columns). Base values are multiples of 1/8 and task vector values multiples of 1/4 (a fifth of
     * them 0), so tau = theta - base is exact, magnitudes repeat (ties at every threshold) and sums
     * over tasks are often exactly 0. The reference does the same float32 operations in the same
     * order (trim, sum over tasks in input order, sign, majority, agreeing sum in input order, one
     * division), so the comparison is exact: tolerance 0.
     */
    private static void assertMatchesReference(long seed, double[] densities) {
        SplittableRandom r = new SplittableRandom(seed);
        String[] keys = {"embeddings.weight", "layer.0.dense.weight", "layer.0.dense.bias", "layer.1.big"};
        Shape[] shapes = {new Shape(6, 5), new Shape(4, 3, 2), new Shape(17), new Shape(700_001)};
        int tasks = densities.length;
        Map<String, NDArray> baseMap = new LinkedHashMap<>();
        List<Map<String, NDArray>> inputMaps = new ArrayList<>();
        for (int t = 0; t < tasks; t++) {
            inputMaps.add(new LinkedHashMap<>());
        }
        int length = 0;
        for (Shape s : shapes) {
            length += (int) s.size();
        }
        float[] baseFlat = new float[length];
        float[][] tauFlat = new float[tasks][length];
        int offset = 0;
        for (int k = 0; k < keys.length; k++) {
            int n = (int) shapes[k].size();
            float[] b = new float[n];
            for (int j = 0; j < n; j++) {
                b[j] = Math.round(r.nextGaussian() * 16) / 8f;
            }
            baseMap.put(keys[k], manager.create(b, shapes[k]));
            System.arraycopy(b, 0, baseFlat, offset, n);
            for (int t = 0; t < tasks; t++) {
                float[] theta = new float[n];
                for (int j = 0; j < n; j++) {
                    float tau = r.nextInt(5) == 0 ? 0f : Math.round(r.nextGaussian() * 12) / 4f;
                    theta[j] = b[j] + tau;
                    tauFlat[t][offset + j] = theta[j] - b[j];
                }
                inputMaps.get(t).put(keys[k], manager.create(theta, shapes[k]));
            }
            offset += n;
        }
        CheckpointView base = InMemoryCheckpoint.of(baseMap);
        List<CheckpointView> inputs = new ArrayList<>();
        for (Map<String, NDArray> m : inputMaps) {
            inputs.add(InMemoryCheckpoint.of(m));
        }

        Reference ref = new Reference(tauFlat, densities);
        TiesOriginal ties = TiesOriginal.prepare(
                base, inputs, Densities.perInput(densities), key -> true, PassProgressListener.silent(), manager);
        for (int t = 0; t < tasks; t++) {
            assertEquals(ref.thresholds[t], ties.threshold(t), "threshold of task " + t);
        }
        assertEquals(ref.majority, ties.majoritySign(), "majority sign");
        assertTrue(ref.zeroSums > 1000, "zero sums occur: " + ref.zeroSums);

        MergedCheckpoint merged = MergedCheckpoint.of(base, inputs, TaskVectorMerge.of(ties));
        offset = 0;
        for (int k = 0; k < keys.length; k++) {
            int n = (int) shapes[k].size();
            float[] expected = new float[n];
            for (int j = 0; j < n; j++) {
                expected[j] = ref.merged[offset + j] + baseFlat[offset + j];
            }
            try (NDArray got = merged.load(keys[k], manager)) {
                assertEquals(shapes[k], got.getShape());
                assertArrayEquals(expected, got.toFloatArray(), 0f, keys[k]);
            }
            offset += n;
        }
    }

    /** {@code ties_merging} on flattened task vectors {@code [T][d]}, in plain Java. */
    private static final class Reference {
        final float[] thresholds;
        final int majority;
        final float[] merged;
        int zeroSums;

        Reference(float[][] taus, double[] densities) {
            int tasks = taus.length;
            int d = taus[0].length;
            thresholds = new float[tasks];
            float[][] trimmed = new float[tasks][d];
            for (int t = 0; t < tasks; t++) {
                int k = d - (int) (d * densities[t]); // topk_values_mask: k = d - int(d * K)
                float[] abs = new float[d];
                for (int j = 0; j < d; j++) {
                    abs[j] = Math.abs(taus[t][j]);
                }
                Arrays.sort(abs);
                thresholds[t] = k >= 1 ? abs[k - 1] : 0f; // kthvalue(k); density 1 keeps everything
                for (int j = 0; j < d; j++) {
                    trimmed[t][j] = Math.abs(taus[t][j]) >= thresholds[t] ? taus[t][j] : 0f;
                }
            }
            float[] sign = new float[d];
            long total = 0;
            for (int j = 0; j < d; j++) {
                float sum = trimmed[0][j];
                for (int t = 1; t < tasks; t++) {
                    sum += trimmed[t][j];
                }
                sign[j] = Math.signum(sum);
                total += (long) sign[j];
            }
            majority = Long.signum(total);
            merged = new float[d];
            for (int j = 0; j < d; j++) {
                if (sign[j] == 0) {
                    sign[j] = majority; // resolve_zero_signs("majority")
                    zeroSums++;
                }
                float sum = 0;
                int count = 0;
                for (int t = 0; t < tasks; t++) {
                    float x = trimmed[t][j];
                    boolean keep = sign[j] > 0 ? x > 0 : x < 0; // where(s > 0, tau > 0, tau < 0)
                    if (keep) {
                        sum = t == 0 ? x : sum + x;
                        count++;
                    }
                }
                merged[j] = sum / Math.max(count, 1);
            }
        }
    }

    private static InMemoryCheckpoint checkpoint(Object... keysAndValues) {
        Map<String, NDArray> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            Object v = keysAndValues[i + 1];
            m.put((String) keysAndValues[i], v instanceof long[] ? manager.create((long[]) v) : manager.create((float[]) v));
        }
        return InMemoryCheckpoint.of(m);
    }
}

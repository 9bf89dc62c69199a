package org.peft4j.merge.sparsify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.peft4j.merge.Arrays32.assertValues;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.peft4j.merge.SeededTensors;

// Expected values follow PEFT merge_utils.magnitude_based_pruning: k = int(density * numel), keep
// the k largest |t|. Small integers and halves are exact in float32, so tolerance is 0.
class MagnitudePruningTest {

    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    @Test
    void keepsTheTopKMagnitudesWithKFlooredFromDensityTimesNumel() {
        NDArray t = manager.create(new float[] {0.5f, -3f, 2f, -1f, 0.25f});
        // k = int(0.5 * 5) = 2 -> keep -3 and 2
        assertValues(new float[] {0f, -3f, 2f, 0f, 0f}, MagnitudePruning.prune(t, 0.5), 0);
        // k = int(0.7 * 5) = 3 -> keep -3, 2, -1
        assertValues(new float[] {0f, -3f, 2f, -1f, 0f}, MagnitudePruning.prune(t, 0.7), 0);
    }

    @Test
    void pruningWorksOnMatricesOverAllEntries() {
        NDArray t = manager.create(new float[] {1f, -6f, 3f, 4f, -5f, 2f}, new Shape(2, 3));
        // k = int(0.5 * 6) = 3 -> keep -6, -5, 4
        assertValues(
                new float[] {0f, -6f, 0f, 4f, -5f, 0f},
                new Shape(2, 3),
                MagnitudePruning.prune(t, 0.5),
                0);
    }

    @Test
    void densityOneReturnsTheTensorUnchanged() {
        NDArray t = manager.create(new float[] {1f, -2f});
        assertSame(t, MagnitudePruning.prune(t, 1.0));
    }

    @Test
    void densityBelowOneEntryKeepsNothing() {
        NDArray t = manager.create(new float[] {1f, -2f, 3f});
        // k = int(0.2 * 3) = 0
        assertValues(new float[] {0f, 0f, 0f}, MagnitudePruning.prune(t, 0.2), 0);
    }

    @Test
    void eachTaskTensorOfAStackIsPrunedSeparately() {
        NDArray stacked = manager.create(new float[] {1f, -2f, 3f, 0f, -1f, -4f, 1f, 2f}, new Shape(2, 4));
        assertValues(
                new float[] {0f, -2f, 3f, 0f, 0f, -4f, 0f, 2f},
                new Shape(2, 4),
                MagnitudePruning.pruneEach(stacked, 0.5),
                0);
    }

    // Long tensors take the sampled-bracket path; the reference is a full sort in Java.
    @Test
    void longTensorKeepsExactlyTheEntriesAboveTheKthLargestMagnitude() {
        int n = 300_000;
        float[] values = SeededTensors.gaussian(11L, 1.0, n);
        double density = 0.2;
        int k = (int) (density * n);
        float[] sorted = new float[n];
        for (int i = 0; i < n; i++) {
            sorted[i] = Math.abs(values[i]);
        }
        Arrays.sort(sorted);
        float kth = sorted[n - k];
        float[] expected = new float[n];
        for (int i = 0; i < n; i++) {
            expected[i] = Math.abs(values[i]) >= kth ? values[i] : 0f;
        }
        float[] actual = MagnitudePruning.prune(manager.create(values), density).toFloatArray();
        // selection only: kept values are copied unchanged, so the comparison is exact
        assertArrayEquals(expected, actual, 0f);
    }

    @Test
    void longTensorWithTiedMagnitudesKeepsExactlyKLargest() {
        assertKeepsKLargestWithLowestIndexTies(300_000, 12L, 0.1);
    }

    // Over 2 blocks of 2^21 entries: the tied entries at the threshold lie in every block, so the
    // kept ties end inside a middle block (all ties kept before it, none after).
    @Test
    void tensorSpanningSeveralBlocksKeepsTheLowestIndexTiesAcrossBlocks() {
        assertKeepsKLargestWithLowestIndexTies(4_500_000, 13L, 0.2);
    }

    private static void assertKeepsKLargestWithLowestIndexTies(int n, long seed, double density) {
        float[] values = SeededTensors.gaussian(seed, 1.0, n);
        for (int i = 0; i < n; i++) {
            values[i] = Math.round(values[i] * 4) / 4f; // few distinct magnitudes: many ties
        }
        int k = (int) (density * n);
        float[] actual = MagnitudePruning.prune(manager.create(values), density).toFloatArray();
        int kept = 0;
        float smallestKept = Float.MAX_VALUE;
        float largestDropped = 0f;
        for (int i = 0; i < n; i++) {
            if (actual[i] != 0f) {
                kept++;
                smallestKept = Math.min(smallestKept, Math.abs(values[i]));
                assertEquals(values[i], actual[i], 0f); // kept values are copied unchanged
            } else {
                largestDropped = Math.max(largestDropped, Math.abs(values[i]));
            }
        }
        assertEquals(k, kept);
        assertTrue(smallestKept >= largestDropped);
        // documented tie rule for long tensors: among entries at the threshold magnitude, the lowest
        // indices are kept, so no kept tied entry comes after a dropped tied entry
        int lastKeptTie = -1;
        int firstDroppedTie = Integer.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            if (Math.abs(values[i]) == smallestKept) {
                if (actual[i] != 0f) {
                    lastKeptTie = i;
                } else {
                    firstDroppedTie = Math.min(firstDroppedTie, i);
                }
            }
        }
        assertTrue(lastKeptTie < firstDroppedTie);
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, -0.1, 1.5, Double.NaN})
    void densityOutsideZeroOneIsRejectedNamingTheField(double density) {
        NDArray t = manager.create(new float[] {1f});
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> MagnitudePruning.prune(t, density));
        assertTrue(e.getMessage().contains("density") && e.getMessage().contains("(0, 1]"), e.getMessage());
    }
}

package org.peft4j.merge.sparsify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The radix selection is compared with sorting the magnitudes in Java ({@code torch.kthvalue}'s
 * rank: the k-th entry, 1-based, of the ascending sort). Both give one of the entries, so the
 * comparison is bit-exact: tolerance 0.
 */
class KthSmallestMagnitudeTest {

    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    /** Values on a coarse grid (many duplicates), with zeros, -0.0, a subnormal and infinities. */
    private static float[] gridValues(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = Math.round(r.nextGaussian() * 8) / 4f; // multiples of 1/4: few distinct magnitudes
        }
        v[0] = -0.0f;
        v[1] = Float.MIN_VALUE;
        v[2] = Float.NEGATIVE_INFINITY;
        v[3] = Float.POSITIVE_INFINITY;
        v[4] = -Float.MAX_VALUE;
        v[5] = 1e-30f;
        return v;
    }

    private static float[] sortedMagnitudes(float[] values) {
        float[] abs = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            abs[i] = Math.abs(values[i]);
        }
        Arrays.sort(abs);
        return abs;
    }

    /** Splits values into arrays of the given shapes (in order), which must cover them. */
    private static List<NDArray> pieces(float[] values, Shape... shapes) {
        List<NDArray> out = new ArrayList<>();
        int offset = 0;
        for (Shape s : shapes) {
            int n = Math.toIntExact(s.size());
            out.add(manager.create(Arrays.copyOfRange(values, offset, offset + n), s));
            offset += n;
        }
        assertEquals(values.length, offset, "the shapes cover the values");
        return out;
    }

    private static float select(long rank, long count, List<NDArray> pieces) {
        KthSmallestMagnitude s = KthSmallestMagnitude.ofRank(rank, count);
        for (NDArray p : pieces) {
            s.countFirstPass(p);
        }
        // the second pass sees the pieces in another order: only the multiset matters
        for (int i = pieces.size() - 1; i >= 0; i--) {
            s.countSecondPass(pieces.get(i));
        }
        return s.value();
    }

    @Test
    void everyRankOfASmallSetWithDuplicatesIsTheKthSortedMagnitude() {
        float[] values = gridValues(11, 300);
        List<NDArray> pieces = pieces(values, new Shape(10, 7), new Shape(130), new Shape(5, 4, 5));
        float[] sorted = sortedMagnitudes(values);
        int runs = 0;
        for (int k = 1; k <= values.length; k++) {
            float got = select(k, values.length, pieces);
            assertEquals(Float.floatToIntBits(sorted[k - 1]), Float.floatToIntBits(got), "rank " + k);
            if (k > 1 && sorted[k - 1] == sorted[k - 2]) {
                runs++;
            }
        }
        assertTrue(runs > 200, "the set has many duplicates at the selected ranks: " + runs);
    }

    @Test
    void aLargeSetWithRunsOfEqualMagnitudesGivesTheKthSortedMagnitude() {
        int n = (1 << 21) + 4099;
        SplittableRandom r = new SplittableRandom(5);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (Math.rint(r.nextGaussian() * 1024) / 1024); // duplicates: multiples of 2^-10
        }
        List<NDArray> pieces = pieces(values, new Shape(n - 99), new Shape(9, 11));
        float[] sorted = sortedMagnitudes(values);
        // the ranks TIES uses at densities 0.2 and 0.5, the extremes, and one inside a run of equal magnitudes
        long[] ranks = {n - (long) (n * 0.2), n - (long) (n * 0.5), 1, n, 1_000_003};
        for (long k : ranks) {
            float got = select(k, n, pieces);
            assertEquals(Float.floatToIntBits(sorted[(int) k - 1]), Float.floatToIntBits(got), "rank " + k);
        }
        assertEquals(sorted[1_000_001], sorted[1_000_002], "rank 1000003 lies inside a run of equal magnitudes");
    }

    @Test
    void aNaNIsRejectedInTheFirstPass() {
        KthSmallestMagnitude s = KthSmallestMagnitude.ofRank(1, 3);
        NDArray piece = manager.create(new float[] {1, Float.NaN, 2});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.countFirstPass(piece));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    }

    @Test
    void aFirstPassThatSawAnotherCountIsRefused() {
        KthSmallestMagnitude s = KthSmallestMagnitude.ofRank(2, 4);
        NDArray piece = manager.create(new float[] {1, 2, 3});
        s.countFirstPass(piece);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.countSecondPass(piece));
        assertTrue(e.getMessage().contains("3") && e.getMessage().contains("4"), e.getMessage());
    }

    @Test
    void aRankOutsideOneToCountIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> KthSmallestMagnitude.ofRank(0, 4));
        assertThrows(IllegalArgumentException.class, () -> KthSmallestMagnitude.ofRank(5, 4));
    }
}

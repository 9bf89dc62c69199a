package org.peft4j.merge.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.peft4j.merge.lora.MergeUtilsReference.factorWeightsA;
import static org.peft4j.merge.lora.MergeUtilsReference.factorWeightsB;
import static org.peft4j.merge.lora.MergeUtilsReference.magnitudeGapAtThreshold;
import static org.peft4j.merge.lora.MergeUtilsReference.magnitudePrune;
import static org.peft4j.merge.lora.MergeUtilsReference.smallestNonZeroVote;
import static org.peft4j.merge.lora.MergeUtilsReference.toDoubles;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.peft4j.merge.SeededTensors;
import org.peft4j.merge.consensus.SignElection;

// The A-and-B-separate types ties, magnitude_prune, dare_linear and dare_ties with several adapters
// (peft-semantics.md 7.1): A = f({A_i}, wA), B = f({B_i}, wB), wA_i = sign(w_i s_i) sqrt|w_i s_i|,
// wB_i = sqrt|w_i s_i|, f the same-named merge_utils function (7.2), checked against the plain-Java
// double reference MergeUtilsReference written from those definitions.
//
// Tolerance of the seeded cases, 1e-6 absolute: the merged factor entries are below 3 in magnitude
// and the float32 path rounds each weight, product, sum of at most 3 terms and the division by the
// agreeing count once (relative 6e-8 each), so it stays within ~5e-7 of the double reference
// (observed: 9e-8); a wrongly kept, pruned or sign-elected entry moves an entry by a whole weighted
// factor entry, of order 0.1 near the pruning thresholds used here. The same 1e-6 matches a read-back
// DARE entry to its keep pattern, whose values lie more than 1e-3 apart where the pattern counts.
class AdapterCombinationFactorTypesTest {

    private static final int OUT = 12;
    private static final int IN = 10;
    private static final int R = 3;
    private static final double TOL = 1e-6;
    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static LoraFactors adapter(long seed, int out, int r, int in, double scaling) {
        return new LoraFactors(
                SeededTensors.gaussian(manager, seed, 0.4, r, in),
                SeededTensors.gaussian(manager, seed + 1000, 0.4, out, r),
                scaling);
    }

    // three rank-3 adapters with different scalings; weights include a negative one so that
    // sign(w_i s_i) enters wA
    private static List<LoraFactors> three() {
        return List.of(adapter(21, OUT, R, IN, 2.0), adapter(22, OUT, R, IN, 0.5), adapter(23, OUT, R, IN, 1.5));
    }

    private static final double[] W3 = {0.8, -1.3, 0.6};

    private static double[] scalings(List<LoraFactors> adapters) {
        return adapters.stream().mapToDouble(LoraFactors::scaling).toArray();
    }

    private static List<double[]> as(List<LoraFactors> adapters) {
        return adapters.stream().map(f -> toDoubles(f.a().toFloatArray())).toList();
    }

    private static List<double[]> bs(List<LoraFactors> adapters) {
        return adapters.stream().map(f -> toDoubles(f.b().toFloatArray())).toList();
    }

    private static void assertClose(double[] expected, NDArray actual, double tol, String what) {
        float[] v = actual.toFloatArray();
        assertEquals(expected.length, v.length, what + " size");
        double worst = 0;
        int at = -1;
        for (int i = 0; i < v.length; i++) {
            double d = Math.abs(expected[i] - v[i]);
            if (d > worst) {
                worst = d;
                at = i;
            }
        }
        assertTrue(worst <= tol, what + ": entry " + at + " differs by " + worst + " (tolerance " + tol + ")");
    }

    // the reference of the A-and-B-separate family: A = f({A_i}, wA), B = f({B_i}, wB)
    private static void assertFactorsMatch(
            List<LoraFactors> adapters, double[] w, MergeUtilsReference.MergeFunction f, LoraFactors merged) {
        double[] s = scalings(adapters);
        assertEquals(1.0, merged.scaling(), "the combined adapter has scaling 1");
        assertEquals(new Shape(R, IN), merged.a().getShape());
        assertEquals(new Shape(OUT, R), merged.b().getShape());
        assertClose(f.apply(as(adapters), factorWeightsA(w, s)), merged.a(), TOL, "lora_A");
        assertClose(f.apply(bs(adapters), factorWeightsB(w, s)), merged.b(), TOL, "lora_B");
    }

    // the float32 factors are the reference's inputs exactly, so pruning selects the same entries as
    // long as no two magnitudes tie at the threshold (gap > 1e-5); the float32 total vote (a sum of
    // at most 3 entries below 2) is within 1e-6 of the double one, so votes > 1e-5 away from 0 elect
    // the same signs
    private static void requireClearThreshold(List<LoraFactors> adapters, double density) {
        for (List<double[]> factors : List.of(as(adapters), bs(adapters))) {
            for (double[] t : factors) {
                assertTrue(magnitudeGapAtThreshold(t, density) > 1e-5, "test data: magnitudes tie at the threshold");
            }
        }
    }

    private static void requireClearVotes(List<LoraFactors> adapters, double density, boolean frequency) {
        for (List<double[]> factors : List.of(as(adapters), bs(adapters))) {
            List<double[]> pruned = factors.stream().map(t -> magnitudePrune(t, density)).toList();
            assertTrue(smallestNonZeroVote(pruned, frequency) > 1e-5, "test data: a sign vote is nearly 0");
        }
    }

    private static AdapterCombination.Builder builder(CombinationType type, double[] w, double density) {
        return AdapterCombination.builder(type).weights(w).density(density);
    }

    // ---------------------------------------------------------------- worked by hand, 1x4 factors

    // Two rank-1 adapters on a 4x4 weight: A_i [1, 4], B_i [4, 1], scalings s = [2, 2], weights
    // w = [2, -0.5], so w s = [4, -1], wA = [2, -1], wB = [2, 1]. Density 0.5 keeps k = int(0.5 * 4)
    // = 2 entries of each factor.
    private static List<LoraFactors> handPair() {
        return List.of(
                new LoraFactors(
                        manager.create(new float[] {1, -2, 3, 0}, new Shape(1, 4)),
                        manager.create(new float[] {0.5f, -3, 1, -4}, new Shape(4, 1)),
                        2.0),
                new LoraFactors(
                        manager.create(new float[] {-1, -1.5f, 0.5f, 2}, new Shape(1, 4)),
                        manager.create(new float[] {2, 1, -0.25f, 1.5f}, new Shape(4, 1)),
                        2.0));
    }

    private static final double[] HAND_W = {2, -0.5};

    @Test
    void tiesElectsTheTotalSignOnUnweightedPrunedFactorsWorkedByHand() {
        // A: P_0 = [0, -2, 3, 0], P_1 = [0, -1.5, 0, 2]; sum P = [0, -3.5, 3, 2] elects [+, -, +, +]
        //    (0 -> +). wA P: [0, -4, 6, 0] and [0, 1.5, 0, -2]; agreeing: entry 1 both (count 2),
        //    entry 2 P_0, entry 3 P_1, entry 0 none (count clamped to 1)
        //    => A = [0, (-4 + 1.5) / 2, 6, -2] = [0, -1.25, 6, -2].
        //    Electing on the weighted wA P instead would give entry 1 = -4 (only P_0 agrees).
        // B: P_0 = [0, -3, 0, -4], P_1 = [2, 0, 0, 1.5]; sum = [2, -3, 0, -2.5] elects [+, -, +, -];
        //    wB P: [0, -6, 0, -8] and [2, 0, 0, 1.5] => B = [2, -6, 0, -8]
        LoraFactors merged = builder(CombinationType.TIES, HAND_W, 0.5).build().combine("l", handPair());
        // exact binary fractions throughout: only float32 storage rounding, none here
        assertArrayEquals(new float[] {0, -1.25f, 6, -2}, merged.a().toFloatArray(), 1e-6f);
        assertArrayEquals(new float[] {2, -6, 0, -8}, merged.b().toFloatArray(), 1e-6f);
        assertEquals(1.0, merged.scaling());
    }

    @Test
    void tiesWithFrequencyElectionCountsSignsWorkedByHand() {
        // A: sign counts [0, -2, 1, 1] elect the same signs as the total => A = [0, -1.25, 6, -2].
        // B: sign counts of P_0 = [0, -3, 0, -4], P_1 = [2, 0, 0, 1.5] are [1, -1, 0, 0]: entry 3 is
        //    a tie and elects + (the total vote -2.5 elected -), so only P_1's 1.5 agrees there
        //    => B = [2, -6, 0, 1.5]
        LoraFactors merged =
                builder(CombinationType.TIES, HAND_W, 0.5)
                        .majoritySign(SignElection.FREQUENCY)
                        .build()
                        .combine("l", handPair());
        assertArrayEquals(new float[] {0, -1.25f, 6, -2}, merged.a().toFloatArray(), 1e-6f);
        assertArrayEquals(new float[] {2, -6, 0, 1.5f}, merged.b().toFloatArray(), 1e-6f);
    }

    @Test
    void magnitudePruneSumsWeightedPrunedFactorsWorkedByHand() {
        // A = 2 [0, -2, 3, 0] - 1 [0, -1.5, 0, 2] = [0, -2.5, 6, -2]
        // B = 2 [0, -3, 0, -4] + 1 [2, 0, 0, 1.5] = [2, -6, 0, -6.5]
        LoraFactors merged = builder(CombinationType.MAGNITUDE_PRUNE, HAND_W, 0.5).build().combine("l", handPair());
        assertArrayEquals(new float[] {0, -2.5f, 6, -2}, merged.a().toFloatArray(), 1e-6f);
        assertArrayEquals(new float[] {2, -6, 0, -6.5f}, merged.b().toFloatArray(), 1e-6f);
    }

    // ---------------------------------------------------------------- seeded, against the reference

    @Test
    void tiesOfThreeAdaptersAppliesMergeUtilsTiesToEachFactor() {
        List<LoraFactors> adapters = three();
        double density = 0.5;
        requireClearThreshold(adapters, density);
        requireClearVotes(adapters, density, false);
        LoraFactors merged = builder(CombinationType.TIES, W3, density).build().combine("l", adapters);
        assertFactorsMatch(adapters, W3, (t, w) -> MergeUtilsReference.ties(t, w, density, false), merged);
    }

    @Test
    void tiesWithFrequencyElectionOfThreeAdaptersAppliesMergeUtilsTiesToEachFactor() {
        List<LoraFactors> adapters = three();
        double density = 0.7;
        requireClearThreshold(adapters, density);
        requireClearVotes(adapters, density, true);
        LoraFactors merged =
                builder(CombinationType.TIES, W3, density)
                        .majoritySign(SignElection.FREQUENCY)
                        .build()
                        .combine("l", adapters);
        assertFactorsMatch(adapters, W3, (t, w) -> MergeUtilsReference.ties(t, w, density, true), merged);
        // the two elections differ on this data, so the check above tells them apart
        double[] total = MergeUtilsReference.ties(bs(adapters), factorWeightsB(W3, scalings(adapters)), density, false);
        double[] frequency =
                MergeUtilsReference.ties(bs(adapters), factorWeightsB(W3, scalings(adapters)), density, true);
        assertTrue(maxAbsDiff(total, frequency) > 1e-2, "test data: total and frequency elect the same signs");
    }

    @Test
    void magnitudePruneOfThreeAdaptersAppliesMergeUtilsMagnitudePruneToEachFactor() {
        List<LoraFactors> adapters = three();
        double density = 0.6;
        requireClearThreshold(adapters, density);
        LoraFactors merged = builder(CombinationType.MAGNITUDE_PRUNE, W3, density).build().combine("l", adapters);
        assertFactorsMatch(
                adapters, W3, (t, w) -> MergeUtilsReference.magnitudePruneMerge(t, w, density), merged);
    }

    @Test
    void dareLinearAtDensityOneIsTaskArithmeticOfTheFactors() {
        // prune(t, d >= 1) returns t unchanged, so dare_linear(d = 1) = task_arithmetic, deterministically
        List<LoraFactors> adapters = three();
        LoraFactors merged = builder(CombinationType.DARE_LINEAR, W3, 1.0).seed(5).build().combine("l", adapters);
        assertFactorsMatch(adapters, W3, MergeUtilsReference::taskArithmetic, merged);
    }

    @Test
    void dareTiesAtDensityOneIsTheSignConsensusMeanOfTheUnprunedFactors() {
        List<LoraFactors> adapters = three();
        requireClearVotes(adapters, 1.0, false);
        LoraFactors merged = builder(CombinationType.DARE_TIES, W3, 1.0).seed(5).build().combine("l", adapters);
        assertFactorsMatch(adapters, W3, (t, w) -> MergeUtilsReference.ties(t, w, 1.0, false), merged);
    }

    @Test
    void dareTiesWithFrequencyElectionAtDensityOneIsTheSignConsensusMeanOfTheUnprunedFactors() {
        List<LoraFactors> adapters = three();
        LoraFactors merged =
                builder(CombinationType.DARE_TIES, W3, 1.0)
                        .majoritySign(SignElection.FREQUENCY)
                        .seed(5)
                        .build()
                        .combine("l", adapters);
        assertFactorsMatch(adapters, W3, (t, w) -> MergeUtilsReference.ties(t, w, 1.0, true), merged);
    }

    // ---------------------------------------------------------------- DARE at density 0.5: masks read back

    // Random masks cannot be reproduced outside the implementation, so these tests read the mask
    // back from the result: with two adapters every entry of a merged factor must equal the
    // reference f evaluated on one of the four keep patterns (m_0, m_1) in {0, 1}^2 with P_i = m_i
    // t_i / density (random_pruning with rescale). Where the four patterns' values are pairwise more
    // than 1e-3 apart (a property of the data alone, so the choice of entries does not bias the
    // masks), exactly one pattern matches and it is the mask used; over those entries the kept
    // fraction must be near the density.

    private static final int DARE_OUT = 32;
    private static final int DARE_IN = 40;
    private static final int DARE_R = 4;

    private static List<LoraFactors> darePair() {
        return List.of(
                adapter(31, DARE_OUT, DARE_R, DARE_IN, 2.0), adapter(32, DARE_OUT, DARE_R, DARE_IN, 0.5));
    }

    private static final double[] W2 = {1.2, -0.7};

    /** How often each keep pattern (bit i: adapter i kept) was read back over the separated entries. */
    private static int[] readBackMasks(
            List<double[]> tasks, double[] w, double density, MergeUtilsReference.MergeFunction f, NDArray actual) {
        float[] got = actual.toFloatArray();
        int[] patterns = new int[4];
        for (int j = 0; j < got.length; j++) {
            double[] candidates = new double[4];
            for (int pattern = 0; pattern < 4; pattern++) {
                List<double[]> pruned = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    boolean keep = ((pattern >> i) & 1) == 1;
                    pruned.add(new double[] {keep ? tasks.get(i)[j] / density : 0.0});
                }
                candidates[pattern] = f.apply(pruned, w)[0];
            }
            int match = -1;
            int matches = 0;
            for (int pattern = 0; pattern < 4; pattern++) {
                if (Math.abs(candidates[pattern] - got[j]) <= TOL) {
                    matches++;
                    match = pattern;
                }
            }
            assertTrue(matches > 0, "entry " + j + " = " + got[j] + " is no keep pattern's value "
                    + Arrays.toString(candidates));
            if (pairwiseApart(candidates, 1e-3)) {
                assertEquals(1, matches, "entry " + j);
                patterns[match]++;
            }
        }
        return patterns;
    }

    private static boolean pairwiseApart(double[] v, double gap) {
        for (int i = 0; i < v.length; i++) {
            for (int j = i + 1; j < v.length; j++) {
                if (Math.abs(v[i] - v[j]) <= gap) {
                    return false;
                }
            }
        }
        return true;
    }

    private static void assertMasksLookLikeBernoulli(int[] patterns, double density, String what) {
        int entries = Arrays.stream(patterns).sum();
        assertTrue(entries >= 50, what + ": only " + entries + " entries are separated");
        // per adapter, the kept fraction of a seeded Bernoulli(0.5) mask over >= 50 entries has a
        // standard deviation <= 0.071, so 0.5 +- 0.25 (3.5 sigma) holds for a fair mask and fails
        // for one that keeps everything or nothing; the two adapters' masks must differ somewhere
        for (int i = 0; i < 2; i++) {
            int kept = 0;
            for (int pattern = 0; pattern < 4; pattern++) {
                kept += ((pattern >> i) & 1) * patterns[pattern];
            }
            double fraction = (double) kept / entries;
            assertTrue(Math.abs(fraction - density) < 0.25, what + ": adapter " + i + " kept fraction " + fraction);
        }
        assertTrue(patterns[1] > 0 && patterns[2] > 0, what + ": the adapters' masks are identical");
    }

    @Test
    void dareLinearKeepsOrDropsEachFactorEntryAndRescalesByTheInverseDensity() {
        List<LoraFactors> adapters = darePair();
        double density = 0.5;
        double[] s = scalings(adapters);
        LoraFactors merged = builder(CombinationType.DARE_LINEAR, W2, density).seed(11).build().combine("l", adapters);
        MergeUtilsReference.MergeFunction sum = MergeUtilsReference::taskArithmetic;
        int[] a = readBackMasks(as(adapters), factorWeightsA(W2, s), density, sum, merged.a());
        int[] b = readBackMasks(bs(adapters), factorWeightsB(W2, s), density, sum, merged.b());
        assertMasksLookLikeBernoulli(a, density, "lora_A");
        assertMasksLookLikeBernoulli(b, density, "lora_B");
    }

    @Test
    void dareTiesElectsSignsOnTheRandomlyPrunedRescaledFactors() {
        List<LoraFactors> adapters = darePair();
        double density = 0.5;
        double[] s = scalings(adapters);
        LoraFactors merged = builder(CombinationType.DARE_TIES, W2, density).seed(12).build().combine("l", adapters);
        MergeUtilsReference.MergeFunction consensus = (p, w) -> MergeUtilsReference.signConsensusMean(p, w, false);
        int[] a = readBackMasks(as(adapters), factorWeightsA(W2, s), density, consensus, merged.a());
        int[] b = readBackMasks(bs(adapters), factorWeightsB(W2, s), density, consensus, merged.b());
        assertMasksLookLikeBernoulli(a, density, "lora_A");
        assertMasksLookLikeBernoulli(b, density, "lora_B");
    }

    private static double maxAbsDiff(double[] x, double[] y) {
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            m = Math.max(m, Math.abs(x[i] - y[i]));
        }
        return m;
    }
}

package org.peft4j.merge.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.peft4j.merge.lora.MergeUtilsReference.deltaWeight;
import static org.peft4j.merge.lora.MergeUtilsReference.magnitudeGapAtThreshold;
import static org.peft4j.merge.lora.MergeUtilsReference.magnitudePrune;
import static org.peft4j.merge.lora.MergeUtilsReference.smallestNonZeroVote;
import static org.peft4j.merge.lora.MergeUtilsReference.toDoubles;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.peft4j.merge.SeededTensors;
import org.peft4j.merge.consensus.SignElection;

// The SVD types other than svd with several adapters (peft-semantics.md 7.1, PEFT 0.21.0):
// Delta = f({Delta W_i}, {w_i}) with Delta W_i = s_i B_i A_i and f the same-named merge_utils
// function (7.2), then B = U_r diag(S_r), A = Vh_r. At a rank that reconstructs Delta, B A must equal
// f({Delta W_i}, {w_i}) computed by the plain-Java double reference MergeUtilsReference.
//
// Rank: pruning and sign election make Delta a full-rank [12, 10] matrix in general (not of rank
// sum r_i), so the pruned types use svdRank = min(out, in) = 10, which reconstructs Delta exactly;
// dare_linear_svd at density 1 is sum_i w_i Delta W_i, of rank sum r_i = 9, and uses that rank.
//
// Tolerance 1e-5 absolute: Delta's entries are O(1); the float32 Delta W_i (rank-3 products)
// differ from the double ones by ~1e-7 and the float32 LAPACK SVD reconstructs to ~1e-6 (the
// tolerance of the existing svd test; observed: 9.5e-7 at most); a wrongly pruned or elected entry
// moves by a whole weighted Delta W_i entry, of order 0.1 or more near the pruning thresholds used.
class AdapterCombinationSvdTypesTest {

    private static final int OUT = 12;
    private static final int IN = 10;
    private static final int R = 3;
    private static final int FULL_RANK = Math.min(OUT, IN);
    private static final double TOL = 1e-5;
    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static LoraFactors adapter(long seed, double scaling) {
        return new LoraFactors(
                SeededTensors.gaussian(manager, seed, 0.4, R, IN),
                SeededTensors.gaussian(manager, seed + 1000, 0.4, OUT, R),
                scaling);
    }

    private static List<LoraFactors> three() {
        return List.of(adapter(41, 2.0), adapter(42, 0.5), adapter(43, 1.5));
    }

    private static List<LoraFactors> two() {
        return List.of(adapter(44, 1.0), adapter(45, 2.0));
    }

    private static final double[] W3 = {0.8, -1.3, 0.6};
    private static final double[] W2 = {1.1, 0.7};

    // Delta W_i = s_i B_i A_i in double from the float32 factors
    private static List<double[]> deltas(List<LoraFactors> adapters) {
        return adapters.stream()
                .map(f -> deltaWeight(
                        toDoubles(f.b().toFloatArray()), toDoubles(f.a().toFloatArray()), OUT, R, IN, f.scaling()))
                .toList();
    }

    private static void assertReconstructs(double[] expected, LoraFactors merged, int rank) {
        assertEquals(1.0, merged.scaling(), "the combined adapter has scaling 1");
        assertEquals(new Shape(rank, IN), merged.a().getShape());
        assertEquals(new Shape(OUT, rank), merged.b().getShape());
        float[] got = merged.deltaWeight().toFloatArray();
        double worst = 0;
        int at = -1;
        for (int i = 0; i < got.length; i++) {
            double d = Math.abs(expected[i] - got[i]);
            if (d > worst) {
                worst = d;
                at = i;
            }
        }
        assertTrue(worst <= TOL, "B A entry " + at + " differs from f({Delta W_i}) by " + worst);
    }

    // float32 Delta W_i differ from the double ones by < 1e-6 (entries below 3, a rank-3 sum and a
    // scaling, each rounded at relative 6e-8): with a gap > 1e-5 between the k-th and (k+1)-th
    // magnitude and every vote > 1e-5 away from 0, both keep the same entries and elect the same signs
    private static void requireDeterministicReference(List<double[]> deltas, double density, boolean votes) {
        for (double[] d : deltas) {
            assertTrue(magnitudeGapAtThreshold(d, density) > 1e-5, "test data: magnitudes tie at the threshold");
        }
        if (votes) {
            List<double[]> pruned = deltas.stream().map(d -> magnitudePrune(d, density)).toList();
            assertTrue(smallestNonZeroVote(pruned, false) > 1e-5, "test data: a sign vote is nearly 0");
        }
    }

    @Test
    void tiesSvdAtFullRankReproducesTiesOfTheWeightedDeltaWeights() {
        List<LoraFactors> adapters = three();
        double density = 0.5;
        List<double[]> deltas = deltas(adapters);
        requireDeterministicReference(deltas, density, true);
        LoraFactors merged =
                AdapterCombination.builder(CombinationType.TIES_SVD)
                        .weights(W3)
                        .density(density)
                        .svdRank(FULL_RANK)
                        .build()
                        .combine("l", adapters);
        assertReconstructs(MergeUtilsReference.ties(deltas, W3, density, false), merged, FULL_RANK);
    }

    @Test
    void tiesSvdWithFrequencyElectionAtFullRankReproducesTiesOfTheWeightedDeltaWeights() {
        List<LoraFactors> adapters = three();
        double density = 0.7;
        List<double[]> deltas = deltas(adapters);
        // the frequency vote is an integer: float32 and double agree once the pruning agrees
        requireDeterministicReference(deltas, density, false);
        LoraFactors merged =
                AdapterCombination.builder(CombinationType.TIES_SVD)
                        .weights(W3)
                        .density(density)
                        .majoritySign(SignElection.FREQUENCY)
                        .svdRank(FULL_RANK)
                        .build()
                        .combine("l", adapters);
        assertReconstructs(MergeUtilsReference.ties(deltas, W3, density, true), merged, FULL_RANK);
    }

    @Test
    void magnitudePruneSvdAtFullRankReproducesMagnitudePruneOfTheDeltaWeights() {
        List<LoraFactors> adapters = three();
        double density = 0.4;
        List<double[]> deltas = deltas(adapters);
        requireDeterministicReference(deltas, density, false);
        LoraFactors merged =
                AdapterCombination.builder(CombinationType.MAGNITUDE_PRUNE_SVD)
                        .weights(W3)
                        .density(density)
                        .svdRank(FULL_RANK)
                        .build()
                        .combine("l", adapters);
        assertReconstructs(MergeUtilsReference.magnitudePruneMerge(deltas, W3, density), merged, FULL_RANK);
    }

    @Test
    void dareLinearSvdAtDensityOneAndTheSumOfRanksReproducesTheWeightedSumOfDeltaWeights() {
        // prune(t, d >= 1) returns t: dare_linear(d = 1) = task_arithmetic = sum_i w_i Delta W_i, rank 9
        List<LoraFactors> adapters = three();
        int sumOfRanks = 3 * R;
        LoraFactors merged =
                AdapterCombination.builder(CombinationType.DARE_LINEAR_SVD)
                        .weights(W3)
                        .density(1.0)
                        .seed(3)
                        .svdRank(sumOfRanks)
                        .build()
                        .combine("l", adapters);
        assertReconstructs(MergeUtilsReference.taskArithmetic(deltas(adapters), W3), merged, sumOfRanks);
    }

    @Test
    void dareTiesSvdAtDensityOneAndFullRankReproducesTheSignConsensusMeanOfTheDeltaWeights() {
        List<LoraFactors> adapters = two();
        List<double[]> deltas = deltas(adapters);
        requireDeterministicReference(deltas, 1.0, true);
        LoraFactors merged =
                AdapterCombination.builder(CombinationType.DARE_TIES_SVD)
                        .weights(W2)
                        .density(1.0)
                        .seed(3)
                        .svdRank(FULL_RANK)
                        .build()
                        .combine("l", adapters);
        double[] expected = MergeUtilsReference.ties(deltas, W2, 1.0, false);
        assertReconstructs(expected, merged, FULL_RANK);
        // with opposite signs only one adapter's entry survives, so this is not the weighted sum
        NDArray sum = manager.create(toFloats(MergeUtilsReference.taskArithmetic(deltas, W2)), new Shape(OUT, IN));
        assertTrue(sum.sub(merged.deltaWeight()).abs().max().getFloat() > 0.1, "test data: no sign conflicts");
    }

    private static float[] toFloats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }
}

package org.peft4j.merge.method;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.peft4j.merge.Arrays32.assertValues;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.peft4j.merge.consensus.SignElection;

class TiesTest {

    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static NDArray peftExample() {
        // PEFT's documented example tensors t1 = [1,-2,3,0], t2 = [-1,-1,1,2]
        return manager.create(new float[] {1f, -2f, 3f, 0f, -1f, -1f, 1f, 2f}, new Shape(2, 4));
    }

    // Golden values published for PEFT merge_utils.ties (peft-semantics.md 7.2, confirmed on PEFT
    // 0.21.0). Halves are exact in float32, so the tolerance only absorbs summation order: 1e-6.
    @Test
    void peftExampleAtDensityOneGivesTheDocumentedResult() {
        assertValues(new float[] {1f, -1.5f, 2f, 2f}, Ties.of(1.0, 1, 1).combine("w", peftExample()), 1e-6);
    }

    @Test
    void peftExampleAtDensityHalfGivesTheDocumentedResult() {
        assertValues(new float[] {0f, -2f, 2f, 2f}, Ties.of(0.5, 1, 1).combine("w", peftExample()), 1e-6);
    }

    // Per-input densities [0.5, 1] on PEFT's example (mergekit lets each model carry its own density):
    // P1 = top-2 of |t1| = [0,-2,3,0], P2 = t2 = [-1,-1,1,2]; sum [-1,-3,4,2] elects [-,-,+,+];
    // agreeing means: col0 P2 alone -1, col1 (-2-1)/2, col2 (3+1)/2, col3 P2 alone 2 -> [-1,-1.5,2,2],
    // which neither uniform density gives ([0,-2,2,2] at 0.5, [1,-1.5,2,2] at 1). Exact: 1e-6.
    @Test
    void perInputDensitiesTrimEachTaskWithItsOwnDensity() {
        Ties ties = Ties.of(Densities.perInput(0.5, 1.0), 1, 1);
        assertValues(new float[] {-1f, -1.5f, 2f, 2f}, ties.combine("w", peftExample()), 1e-6);
    }

    // The per-input path slices the stack row by row; on a 2-D task tensor each row [1, 2, 3] must
    // still be trimmed as one tensor: t1 = [[1,-4],[2,0]] at 0.5 keeps -4 and 2; t2 = [[3,1],[-1,1]] at
    // 0.25 keeps 3. Signs of the sum [[3,-4],[2,0]]: [+,-,+,+(tie)]; means [3,-4,2,0]. Exact: 1e-6.
    @Test
    void perInputDensitiesTrimEachMultiDimensionalTaskAsAWhole() {
        NDArray t = manager.create(new float[] {1f, -4f, 2f, 0f, 3f, 1f, -1f, 1f}, new Shape(2, 2, 2));
        Ties ties = Ties.of(Densities.perInput(0.5, 0.25), 1, 1);
        assertValues(new float[] {3f, -4f, 2f, 0f}, ties.combine("w", t).flatten(), 1e-6);
    }

    @Test
    void perInputDensitiesMustMatchTheNumberOfWeights() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Ties.of(Densities.perInput(0.5, 0.5, 0.5), 1, 1));
        assertTrue(e.getMessage().contains("3 values") && e.getMessage().contains("2 inputs"), e.getMessage());
    }

    // Weights [2, 1]: PEFT elects on the unweighted tensors and divides by the agreeing count:
    // numerators [2,-5,7,2], counts [1,2,2,1] -> [2,-2.5,3.5,2]. mergekit elects on w*t (sums
    // [1,-5,7,2], same signs here) and divides by sum of agreeing weights [2,3,3,1] -> [1,-5/3,7/3,2].
    @Test
    void peftVariantDividesWeightedSumByAgreeingCount() {
        Ties ties = new Ties(Weights.of(2, 1), 1.0, SignElection.TOTAL, TiesVariant.PEFT);
        assertValues(new float[] {2f, -2.5f, 3.5f, 2f}, ties.combine("w", peftExample()), 1e-6);
    }

    @Test
    void mergekitVariantDividesWeightedSumBySumOfAgreeingWeights() {
        Ties ties = new Ties(Weights.of(2, 1), 1.0, SignElection.TOTAL, TiesVariant.MERGEKIT);
        assertValues(new float[] {1f, -5f / 3f, 7f / 3f, 2f}, ties.combine("w", peftExample()), 1e-6);
    }

    // mergekit with normalize: false (dare_ties' default there): the same weighted election and
    // agreement as above, the agreeing w_i t_i summed without a division: [2,-5,7,2].
    @Test
    void mergekitVariantWithoutNormalizeSumsTheAgreeingWeightedEntries() {
        Ties ties = new Ties(Weights.of(2, 1), 1.0, SignElection.TOTAL, TiesVariant.MERGEKIT_UNNORMALIZED);
        assertValues(new float[] {2f, -5f, 7f, 2f}, ties.combine("w", peftExample()), 1e-6);
    }

    @Test
    void peftSignIsElectedOnUnweightedTensors() {
        // t1 = [1], t2 = [-1], w = [1, 3]: unweighted sum 0 -> +1 (tie), only t1 agrees -> 1*1/1 = 1.
        // A weighted election (mergekit) would pick -1 and give -3/3 = -1.
        NDArray t = manager.create(new float[] {1f, -1f}, new Shape(2, 1));
        Ties peft = new Ties(Weights.of(1, 3), 1.0, SignElection.TOTAL, TiesVariant.PEFT);
        Ties mergekit = new Ties(Weights.of(1, 3), 1.0, SignElection.TOTAL, TiesVariant.MERGEKIT);
        assertValues(new float[] {1f}, peft.combine("w", t), 1e-6);
        assertValues(new float[] {-1f}, mergekit.combine("w", t), 1e-6);
    }

    // The consensus step runs over column blocks of 2^21 / T entries; this stack (T = 3, 2^20 + 37
    // columns: two full blocks and a partial one) has vote ties (+1 elected), zeros and both signs,
    // and every value and weight is a small integer or a half, so the sums are exact in float32 and
    // the library must match the per-column reference of the PEFT / mergekit rules exactly (0 tolerance).
    @Test
    void blockedConsensusMatchesThePerColumnRulesOnEveryColumn() {
        int tasks = 3;
        int n = (1 << 20) + 37;
        float[] values = new float[tasks * n];
        java.util.SplittableRandom random = new java.util.SplittableRandom(11);
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextInt(7) - 3; // -3..3, zero one time in seven
        }
        double[] w = {0.5, 2, -1}; // a negative weight flips that task's vote under mergekit's weighted election
        for (TiesVariant variant : TiesVariant.values()) {
            for (SignElection election : SignElection.values()) {
                Ties ties = new Ties(Weights.of(w), 1.0, election, variant);
                float[] got;
                try (NDManager m = manager.newSubManager()) {
                    got = ties.combine("w", m.create(values, new Shape(tasks, n))).toFloatArray();
                }
                for (int j = 0; j < n; j++) {
                    float want = referenceColumn(values, tasks, n, j, w, election, variant);
                    if (got[j] != want) {
                        throw new AssertionError(variant + "/" + election + ": column " + j + " got " + got[j] + ", want " + want);
                    }
                }
            }
        }
    }

    /** PEFT: sign of the sum of P_i (or of sign P_i), ties to +1; sum of w_i P_i over agreeing / max(count, 1).
     *  mergekit: the sign elected on w_i P_i, agreement of w_i P_i with it; divided by the sum of the agreeing
     *  weights (0 becomes 1) with normalize, not divided without. */
    private static float referenceColumn(float[] v, int tasks, int n, int j, double[] w, SignElection election, TiesVariant variant) {
        boolean weighted = variant != TiesVariant.PEFT;
        float votes = 0;
        for (int i = 0; i < tasks; i++) {
            float p = weighted ? (float) (w[i] * v[i * n + j]) : v[i * n + j];
            votes += election == SignElection.TOTAL ? p : Math.signum(p);
        }
        float sign = votes >= 0 ? 1f : -1f;
        float sum = 0;
        float divisor = 0;
        for (int i = 0; i < tasks; i++) {
            float p = weighted ? (float) (w[i] * v[i * n + j]) : v[i * n + j];
            if (p * sign > 0) {
                sum += (float) (w[i] * v[i * n + j]);
                divisor += variant == TiesVariant.PEFT ? 1f : (float) w[i];
            }
        }
        switch (variant) {
            case PEFT:
                return sum / Math.max(divisor, 1f);
            case MERGEKIT:
                return sum / (divisor == 0 ? 1f : divisor);
            default:
                return sum;
        }
    }
}

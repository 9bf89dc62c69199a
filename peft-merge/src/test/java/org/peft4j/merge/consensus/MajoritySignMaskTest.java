package org.peft4j.merge.consensus;

import static org.peft4j.merge.Arrays32.assertValues;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

// Semantics of PEFT calculate_majority_sign_mask / disjoint_merge (peft-semantics.md 7.2), values
// worked by hand from those definitions. Results are small integers: exact, tolerance 0.
class MajoritySignMaskTest {

    private static NDManager manager;
    // columns: (1,-3,1) (-2,1,1) (0,0,0) (3,1,-5)
    private static final float[] TASKS = {1f, -2f, 0f, 3f, -3f, 1f, 0f, 1f, 1f, 1f, 0f, -5f};

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static NDArray tasks() {
        return manager.create(TASKS, new Shape(3, 4));
    }

    @Test
    void totalElectsTheSignOfTheSumWithTiesGoingPositive() {
        // sums -1, 0, 0, -1 -> -1, +1 (tie), +1 (tie), -1
        assertValues(new float[] {-1f, 1f, 1f, -1f}, MajoritySignMask.majority(tasks(), SignElection.TOTAL), 0);
    }

    @Test
    void frequencyElectsTheSignOfTheSumOfSigns() {
        // sign sums 1, 1, 0, 1 -> all +1
        assertValues(new float[] {1f, 1f, 1f, 1f}, MajoritySignMask.majority(tasks(), SignElection.FREQUENCY), 0);
    }

    @Test
    void maskMarksAgreeingEntriesAndNeverZeros() {
        assertValues(
                new float[] {0f, 0f, 0f, 0f, 1f, 1f, 0f, 0f, 0f, 1f, 0f, 1f},
                new Shape(3, 4),
                MajoritySignMask.of(tasks(), SignElection.TOTAL),
                0);
    }

    @Test
    void disjointMergeAveragesAgreeingEntriesAndLeavesZeroWhereNoneAgree() {
        NDArray t = tasks();
        NDArray mask = MajoritySignMask.of(t, SignElection.TOTAL);
        // col0: -3/1, col1: (1+1)/2, col2: 0/max(0,1), col3: -5/1
        assertValues(new float[] {-3f, 1f, 0f, -5f}, DisjointMerge.of(t, mask), 0);
    }
}

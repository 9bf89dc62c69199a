package org.peft4j.merge.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.peft4j.merge.Arrays32.assertValues;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.peft4j.merge.lines.LinesMerge;
import org.peft4j.merge.lines.LinesSchedule;

// Task arithmetic sum_i w_i t_i (PEFT merge_utils.task_arithmetic), mergekit linear and
// task_arithmetic with lambda. Inputs are small dyadic numbers: exact in float32, tolerance 1e-6.
class TaskArithmeticTest {

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
    void taskArithmeticIsTheWeightedSum() {
        NDArray t = manager.create(new float[] {1f, 2f, -3f, 4f}, new Shape(2, 2));
        assertValues(new float[] {-0.5f, 4f}, TaskArithmetic.of(1, 0.5).combine("w", t), 1e-6);
    }

    @Test
    void normalizedTaskArithmeticDividesBySumOfWeights() {
        NDArray t = manager.create(new float[] {1f, 2f, -3f, 4f}, new Shape(2, 2));
        assertValues(
                new float[] {-1f / 3f, 8f / 3f},
                new TaskArithmetic(Weights.of(1, 0.5), true).combine("w", t),
                1e-6);
    }

    @Test
    void taskVectorMergeAddsLambdaTimesMergedTaskVectorToBase() {
        NDArray base = manager.create(new float[] {1f, 1f});
        NDArray inputs = manager.create(new float[] {2f, 3f, 0f, 5f}, new Shape(2, 2));
        // taus [1,2] and [-1,4]; sum [0,6]; base + 0.5 * [0,6]
        TaskVectorMerge merge = new TaskVectorMerge(TaskArithmetic.of(1, 1), 0.5);
        assertValues(new float[] {1f, 4f}, merge.merge("w", base, inputs), 1e-6);
    }

    @Test
    void linearAverageNormalizesByTheWeightSum() {
        NDArray inputs = manager.create(new float[] {1f, 2f, 5f, 6f}, new Shape(2, 2));
        // (1*[1,2] + 3*[5,6]) / 4
        assertValues(
                new float[] {4f, 5f},
                new LinearAverage(Weights.of(1, 3), true).merge("w", null, inputs),
                1e-6);
        assertValues(
                new float[] {16f, 20f},
                new LinearAverage(Weights.of(1, 3), false).merge("w", null, inputs),
                1e-6);
    }

    @Test
    void uniformSoupIsTheMean() {
        NDArray inputs = manager.create(new float[] {1f, -2f, 3f, 4f, 5f, 10f}, new Shape(3, 2));
        assertValues(new float[] {3f, 4f}, LinearAverage.uniform(3).merge("w", null, inputs), 1e-6);
    }

    @Test
    void weightCountMustMatchTaskCount() {
        NDArray t = manager.create(new float[] {1f, 2f, 3f, 4f}, new Shape(2, 2));
        assertThrows(IllegalArgumentException.class, () -> TaskArithmetic.of(1, 1, 1).combine("w", t));
    }

    @Test
    void inputModelCountMustMatchWeightCount() {
        // the check every merge over a checkpoint runs before it reads a tensor
        for (MergeMethod m : new MergeMethod[] {
                TaskVectorMerge.of(TaskArithmetic.of(1, 1)),
                new LinearAverage(Weights.of(1, 3), true),
                new LinesMerge(TaskArithmetic.of(1, 1), LinesSchedule.multiTask(0.5, 0.5, 2))}) {
            m.requireInputCount(2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.requireInputCount(3));
            assertEquals("weights has 2 values but 3 input models were given", e.getMessage());
        }
    }

    @Test
    void linearAverageWithZeroWeightSumIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new LinearAverage(Weights.of(1, -1), true));
    }
}

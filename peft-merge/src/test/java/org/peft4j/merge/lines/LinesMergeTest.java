package org.peft4j.merge.lines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.peft4j.merge.Arrays32.assertValues;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.peft4j.merge.checkpoint.CheckpointView;
import org.peft4j.merge.checkpoint.InMemoryCheckpoint;
import org.peft4j.merge.checkpoint.MergedCheckpoint;
import org.peft4j.merge.checkpoint.ShapeMismatchException;
import org.peft4j.merge.method.TaskArithmetic;
import org.peft4j.merge.method.Ties;

class LinesMergeTest {

    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static InMemoryCheckpoint ckpt(Object... keysAndValues) {
        Map<String, NDArray> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], manager.create((float[]) keysAndValues[i + 1]));
        }
        return InMemoryCheckpoint.of(m);
    }

    @Test
    void singleTaskLinesScalesEachBlocksTaskVectorAndKeepsTheNewHead() {
        CheckpointView base =
                ckpt("emb.weight", new float[] {0, 0}, "layer.0.w", new float[] {1, 1}, "layer.1.w", new float[] {1, 1},
                        "layer.2.w", new float[] {1, 1});
        CheckpointView ft =
                ckpt("emb.weight", new float[] {4, 8}, "layer.0.w", new float[] {5, -3}, "layer.1.w", new float[] {5, -3},
                        "layer.2.w", new float[] {5, -3}, "classifier.weight", new float[] {7});
        // alpha 0.25, L 3: lambdas 0.25 (emb and block 0), 0.625, 1.0; tau = [4, -4] in the blocks
        LinesMerge lines = new LinesMerge(TaskArithmetic.of(1), LinesSchedule.singleTask(0.25, 3));
        MergedCheckpoint merged = MergedCheckpoint.of(base, List.of(ft), lines);
        // all values are multiples of 1/4: exact in float32, tolerance 0
        assertValues(new float[] {1, 2}, merged.load("emb.weight", manager), 0);
        assertValues(new float[] {2, 0}, merged.load("layer.0.w", manager), 0);
        assertValues(new float[] {3.5f, -1.5f}, merged.load("layer.1.w", manager), 0);
        assertValues(new float[] {5, -3}, merged.load("layer.2.w", manager), 0);
        assertValues(new float[] {7}, merged.load("classifier.weight", manager), 0);
    }

    @Test
    void multiTaskAlphaIsOneOverTForTaskArithmetic() {
        CheckpointView base = ckpt("layer.0.w", new float[] {0, 0, 0}, "layer.1.w", new float[] {1, 1, 1});
        CheckpointView a = ckpt("layer.0.w", new float[] {1, -2, 3}, "layer.1.w", new float[] {0, 4, 1});
        CheckpointView b = ckpt("layer.0.w", new float[] {-1, 5, 2}, "layer.1.w", new float[] {2, 2, -6});
        CheckpointView c = ckpt("layer.0.w", new float[] {0, 1, 1}, "layer.1.w", new float[] {1, 3, 3});
        double alpha = LinesMerge.multiTaskAlpha(base, List.of(a, b, c), TaskArithmetic.of(1, 1, 1), manager);
        // paper 5.3: alpha = 1/T for task arithmetic (plain sum)
        assertEquals(1.0 / 3.0, alpha, 1e-7);
    }

    @Test
    void multiTaskAlphaForTiesIsTheL1NormRatio() {
        // PEFT's example task vectors over a zero base: sum = [0,-3,4,2] (L1 9), TIES d=1 gives
        // [1,-1.5,2,2] (L1 6.5): alpha = 9 / (2 * 6.5)
        CheckpointView base = ckpt("layer.0.w", new float[] {0, 0, 0, 0});
        CheckpointView a = ckpt("layer.0.w", new float[] {1, -2, 3, 0});
        CheckpointView b = ckpt("layer.0.w", new float[] {-1, -1, 1, 2});
        double alpha = LinesMerge.multiTaskAlpha(base, List.of(a, b), Ties.of(1.0, 1, 1), manager);
        assertEquals(9.0 / 13.0, alpha, 1e-7);
    }

    // ---- a head the base carries (methods-spec.md Choices #12) ------------------------------------

    // base and two fine-tunes over L = 2 blocks and a classifier the base carries (random init);
    // tau in the blocks: a [2, 0], b [0, 2]; classifier tau: a [4, -4], b [-2, 6]
    private static CheckpointView headBase() {
        return ckpt("layer.0.w", new float[] {1, 1}, "layer.1.w", new float[] {1, 1}, "classifier.weight", new float[] {1, 1});
    }

    private static CheckpointView headA() {
        return ckpt("layer.0.w", new float[] {3, 1}, "layer.1.w", new float[] {3, 1}, "classifier.weight", new float[] {5, -3});
    }

    private static CheckpointView headB() {
        return ckpt("layer.0.w", new float[] {1, 3}, "layer.1.w", new float[] {1, 3}, "classifier.weight", new float[] {-1, 7});
    }

    // alpha 0.5, beta 0.5: lambda 0.5 in layer.0, 1 in layer.1 and 0.5 outside the blocks. Task
    // arithmetic sums tau: blocks [2, 2]; without keep the classifier gets 1 + 0.5 * [2, 2] = [2, 2].
    @Test
    void aHeadTheBaseCarriesIsScaledByAlphaUnlessKept() {
        LinesMerge lines = new LinesMerge(TaskArithmetic.of(1, 1), LinesSchedule.multiTask(0.5, 0.5, 2));
        List<CheckpointView> inputs = List.of(headA(), headB());
        MergedCheckpoint scaled = MergedCheckpoint.of(headBase(), inputs, lines);
        assertValues(new float[] {2, 2}, scaled.load("classifier.weight", manager), 0);

        MergedCheckpoint kept = MergedCheckpoint.of(headBase(), inputs, lines.withKeep(FineTunedKeys.of("^classifier\\.")));
        // the first input's head, as for a key the base lacks; the blocks are unchanged
        assertValues(new float[] {5, -3}, kept.load("classifier.weight", manager), 0);
        assertValues(new float[] {2, 2}, kept.load("layer.0.w", manager), 0);
        assertValues(new float[] {3, 3}, kept.load("layer.1.w", manager), 0);
    }

    // A base whose head has another shape (a 3-way pretrained head, 2-way fine-tunes): without keep
    // the view refuses the shape mismatch; with keep the head is the first input's, the blocks merge
    // as above.
    @Test
    void aKeptHeadMayHaveAnotherShapeThanTheBases() {
        CheckpointView base = ckpt("layer.0.w", new float[] {1, 1}, "layer.1.w", new float[] {1, 1}, "classifier.weight", new float[] {1, 1, 1});
        LinesMerge lines = new LinesMerge(TaskArithmetic.of(1, 1), LinesSchedule.multiTask(0.5, 0.5, 2));
        List<CheckpointView> inputs = List.of(headA(), headB());
        assertThrows(ShapeMismatchException.class, () -> MergedCheckpoint.of(base, inputs, lines));

        MergedCheckpoint kept = MergedCheckpoint.of(base, inputs, lines.withKeep(FineTunedKeys.of("^classifier\\.")));
        assertEquals(new Shape(2), kept.spec("classifier.weight").shape());
        assertValues(new float[] {5, -3}, kept.load("classifier.weight", manager), 0);
        assertValues(new float[] {3, 3}, kept.load("layer.1.w", manager), 0);
    }

    // TIES at density 1 (PEFT rule): blocks sum to [2, 2] in each block and TIES gives [2, 2]
    // (each entry has one non-zero agreeing value), so L1 4 + 4 = 8 for both norms over the blocks.
    // The classifier adds |[2, 2]| = 4 to the sum norm and, TIES electing [+, +] with means [4, 6],
    // 10 to the merged norm: alpha with the head (8 + 4) / (2 (8 + 10)) = 1/3, without it 8 / 16 = 1/2.
    @Test
    void multiTaskAlphaLeavesKeptKeysOutOfBothNorms() {
        List<CheckpointView> inputs = List.of(headA(), headB());
        double with = LinesMerge.multiTaskAlpha(headBase(), inputs, Ties.of(1.0, 1, 1), manager);
        double without = LinesMerge.multiTaskAlpha(
                headBase(), inputs, Ties.of(1.0, 1, 1), FineTunedKeys.of("^classifier\\."), manager);
        // sums of a few small integers, divided once: 1e-12
        assertEquals(1.0 / 3.0, with, 1e-12);
        assertEquals(0.5, without, 1e-12);
    }

    @Test
    void anInvalidKeepPatternIsRefusedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FineTunedKeys.of("^head\\.", "classifier("));
        assertTrue(e.getMessage().contains("regexes[1]") && e.getMessage().contains("classifier("), e.getMessage());
    }
}

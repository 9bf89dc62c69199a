package org.peft4j.merge.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.peft4j.core.PeftException;
import org.peft4j.merge.method.LinearAverage;
import org.peft4j.merge.method.TaskArithmetic;
import org.peft4j.merge.method.TaskVectorMerge;

// Small integer tensors: every expected value is exact in float32 (tolerance 0).
class CheckpointViewsTest {

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
    void taskVectorIsFineTunedMinusBaseAndLeavesOutNewKeys() {
        InMemoryCheckpoint base = ckpt("w", new float[] {1, 2}, "b", new float[] {0});
        InMemoryCheckpoint ft =
                ckpt("w", new float[] {4, 0}, "b", new float[] {1}, "classifier.weight", new float[] {9});
        TaskVector tau = TaskVector.between(ft, base);
        assertEquals(List.of("w", "b"), tau.names());
        assertEquals(List.of("classifier.weight"), tau.excludedKeys());
        assertValues(new float[] {3, -2}, tau.load("w", manager), 0);
    }

    @Test
    void taskVectorShapeMismatchNamesTheKeyAndBothShapes() {
        InMemoryCheckpoint base = ckpt("w", new float[] {1, 2});
        InMemoryCheckpoint ft = ckpt("w", new float[] {1, 2, 3});
        ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> TaskVector.between(ft, base));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("(3)") && e.getMessage().contains("(2)"),
                e.getMessage());
    }

    @Test
    void fineTuneTransferAddsTheTaskVectorToAnotherCheckpoint() {
        TaskVector tau =
                TaskVector.between(ckpt("w", new float[] {4, 0}, "h", new float[] {7}), ckpt("w", new float[] {1, 2}));
        InMemoryCheckpoint target = ckpt("w", new float[] {10, 10}, "ln", new float[] {1});
        FineTuneTransfer moved = FineTuneTransfer.apply(tau, target, 0.5);
        assertEquals(List.of("w", "ln"), moved.names());
        // 10 + 0.5 * 3, 10 + 0.5 * -2; ln passes through
        assertValues(new float[] {11.5f, 9f}, moved.load("w", manager), 0);
        assertValues(new float[] {1f}, moved.load("ln", manager), 0);
    }

    @Test
    void fineTuneTransferShapeMismatchNamesTheKeyAndBothShapes() {
        TaskVector tau = TaskVector.between(ckpt("w", new float[] {4, 0}), ckpt("w", new float[] {1, 2}));
        InMemoryCheckpoint target = ckpt("w", new float[] {1, 2, 3});
        ShapeMismatchException e =
                assertThrows(ShapeMismatchException.class, () -> FineTuneTransfer.apply(tau, target, 1.0));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("(2)") && e.getMessage().contains("(3)"),
                e.getMessage());
    }

    @Test
    void fineTuneTransferRefusesATargetWithoutTheKey() {
        TaskVector tau = TaskVector.between(ckpt("w", new float[] {4, 0}), ckpt("w", new float[] {1, 2}));
        MissingTensorException e =
                assertThrows(
                        MissingTensorException.class,
                        () -> FineTuneTransfer.apply(tau, ckpt("v", new float[] {1, 2}), 1.0));
        assertTrue(e.getMessage().contains("'w'"), e.getMessage());
    }

    @Test
    void mergeKeepsNewKeysFromTheFirstInputByDefault() {
        InMemoryCheckpoint base = ckpt("w", new float[] {1});
        InMemoryCheckpoint a = ckpt("w", new float[] {3}, "classifier.weight", new float[] {5});
        InMemoryCheckpoint b = ckpt("w", new float[] {5}, "classifier.weight", new float[] {6});
        MergedCheckpoint merged = MergedCheckpoint.of(base, List.of(a, b), TaskVectorMerge.of(TaskArithmetic.of(1, 1)));
        assertEquals(List.of("w", "classifier.weight"), merged.names());
        assertValues(new float[] {7f}, merged.load("w", manager), 0);
        assertValues(new float[] {5f}, merged.load("classifier.weight", manager), 0);
    }

    @Test
    void newKeyPoliciesDropOrRefuse() {
        InMemoryCheckpoint base = ckpt("w", new float[] {1});
        InMemoryCheckpoint a = ckpt("w", new float[] {3}, "head", new float[] {5});
        TaskVectorMerge ta = TaskVectorMerge.of(TaskArithmetic.of(1));
        assertEquals(List.of("w"), MergedCheckpoint.of(base, List.of(a), ta, NewKeyPolicy.DROP).names());
        PeftException e =
                assertThrows(PeftException.class, () -> MergedCheckpoint.of(base, List.of(a), ta, NewKeyPolicy.FAIL));
        assertTrue(e.getMessage().contains("'head'") && e.getMessage().contains("input 0"), e.getMessage());
    }

    @Test
    void inputMissingAMergedKeyIsNamedWithItsIndex() {
        InMemoryCheckpoint base = ckpt("w", new float[] {1}, "v", new float[] {1});
        InMemoryCheckpoint a = ckpt("w", new float[] {3}, "v", new float[] {1});
        InMemoryCheckpoint b = ckpt("w", new float[] {3});
        MissingTensorException e =
                assertThrows(
                        MissingTensorException.class,
                        () -> MergedCheckpoint.of(base, List.of(a, b), TaskVectorMerge.of(TaskArithmetic.of(1, 1))));
        assertEquals("tensor 'v' is missing from input 1", e.getMessage());
    }

    @Test
    void mergeShapeMismatchNamesTheKeyAndBothShapes() {
        InMemoryCheckpoint base = ckpt("w", new float[] {1, 2});
        InMemoryCheckpoint a = ckpt("w", new float[] {1, 2, 3});
        ShapeMismatchException e =
                assertThrows(
                        ShapeMismatchException.class,
                        () -> MergedCheckpoint.of(base, List.of(a), TaskVectorMerge.of(TaskArithmetic.of(1))));
        assertEquals("tensor 'w' has shape (2) in the base but (3) in input 0", e.getMessage());
    }

    @Test
    void methodWithoutBaseTakesKeysFromTheFirstInput() {
        InMemoryCheckpoint a = ckpt("w", new float[] {1, 2});
        InMemoryCheckpoint b = ckpt("w", new float[] {3, 6});
        MergedCheckpoint mean = MergedCheckpoint.of(null, List.of(a, b), LinearAverage.uniform(2));
        assertFalse(mean.contains("v"));
        assertValues(new float[] {2f, 4f}, new Shape(2), mean.load("w", manager), 0);
    }
}

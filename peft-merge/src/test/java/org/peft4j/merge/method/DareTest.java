package org.peft4j.merge.method;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.peft4j.merge.Arrays32.assertValues;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.peft4j.merge.sparsify.MaskSource;

// DARE with fixed masks, worked by hand from PEFT merge_utils.dare_linear / dare_ties:
// t1 = [2,-4,6,8], m1 = [1,0,1,0]; t2 = [1,1,-1,-1], m2 = [0,1,1,1]; density 0.5, w = [1, 0.5].
// P1 = t1*m1/0.5 = [4,0,12,0], P2 = [0,2,-2,-2]. Results are exact in float32: tolerance 1e-6.
class DareTest {

    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static final MaskSource FIXED =
            (name, input, shape, p, m) ->
                    input == 0
                            ? m.create(new float[] {1f, 0f, 1f, 0f})
                            : m.create(new float[] {0f, 1f, 1f, 1f});

    private static NDArray tasks() {
        return manager.create(new float[] {2f, -4f, 6f, 8f, 1f, 1f, -1f, -1f}, new Shape(2, 4));
    }

    @Test
    void dareLinearSumsWeightedRescaledMaskedTasks() {
        Dare dare = Dare.linear(0.5, 0L, 1, 0.5).withMasks(FIXED);
        // 1*[4,0,12,0] + 0.5*[0,2,-2,-2]
        assertValues(new float[] {4f, 1f, 11f, -1f}, dare.combine("w", tasks()), 1e-6);
    }

    @Test
    void dareTiesElectsSignOnRescaledTasksThenTakesTheDisjointMean() {
        Dare dare = Dare.ties(0.5, 0L, 1, 0.5).withMasks(FIXED);
        // sums [4,2,10,-2] -> signs [+,+,+,-]; agreeing: col0 P1, col1 P2, col2 P1, col3 P2
        assertValues(new float[] {4f, 1f, 12f, -1f}, dare.combine("w", tasks()), 1e-6);
    }

    // Per-input densities [0.5, 0.25]: P1 = t1*m1/0.5 = [4,0,12,0], P2 = t2*m2/0.25 = [0,4,-4,-4].
    @Test
    void dareLinearRescalesEachTaskByItsOwnDensity() {
        List<String> asked = new ArrayList<>();
        Dare dare = Dare.linear(Densities.perInput(0.5, 0.25), 0L, 1, 0.5).withMasks(recording(asked));
        // 1*[4,0,12,0] + 0.5*[0,4,-4,-4]
        assertValues(new float[] {4f, 2f, 10f, -2f}, dare.combine("w", tasks()), 1e-6);
        assertEquals(List.of("0@0.5", "1@0.25"), asked, "each mask is drawn with its input's keep probability");
    }

    @Test
    void dareTiesElectsOnTasksRescaledByTheirOwnDensities() {
        Dare dare = Dare.ties(Densities.perInput(0.5, 0.25), 0L, 1, 0.5).withMasks(FIXED);
        // unweighted sums [4,4,8,-4] -> [+,+,+,-]; agreeing: col0 P1 4, col1 0.5*P2 2, col2 P1 12, col3 0.5*P2 -2
        assertValues(new float[] {4f, 2f, 12f, -2f}, dare.combine("w", tasks()), 1e-6);
    }

    @Test
    void aTaskWithDensityOneIsNeitherMaskedNorRescaled() {
        List<String> asked = new ArrayList<>();
        Dare dare = Dare.linear(0.5, 0L, 1, 0.5).withDensities(Densities.perInput(1.0, 0.25)).withMasks(recording(asked));
        // 1*[2,-4,6,8] + 0.5*[0,4,-4,-4]
        assertValues(new float[] {2f, -2f, 4f, 6f}, dare.combine("w", tasks()), 1e-6);
        assertEquals(List.of("1@0.25"), asked);
    }

    private static MaskSource recording(List<String> asked) {
        return (name, input, shape, p, m) -> {
            asked.add(input + "@" + p);
            return FIXED.mask(name, input, shape, p, m);
        };
    }

    @Test
    void seededMasksMakeTheMergeReproducible() {
        NDArray big = manager.randomNormal(new Shape(3, 50, 40));
        float[] a = Dare.ties(0.3, 99L, 1, 1, 1).combine("layer.0.weight", big).toFloatArray();
        float[] b = Dare.ties(0.3, 99L, 1, 1, 1).combine("layer.0.weight", big).toFloatArray();
        assertArrayEquals(a, b, 0f);
    }
}

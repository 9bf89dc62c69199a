package org.peft4j.benchmarks.experiments.soups;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The runner's {@code ingredients}, {@code taskSets}, {@code taskEpochs} and {@code grid} settings: which
 * fine-tunes the soups get, which tasks each merge combines, how long each fine-tune runs, which
 * coefficients are tried.
 */
class MergingMiniatureTaskSetsTest {

    @Test
    void setsOfTaskIndices() {
        List<int[]> sets = MergingMiniature.taskSets("012, 01,12");
        assertEquals(3, sets.size());
        assertArrayEquals(new int[] {0, 1, 2}, sets.get(0));
        assertArrayEquals(new int[] {0, 1}, sets.get(1));
        assertArrayEquals(new int[] {1, 2}, sets.get(2));
    }

    @Test
    void badSetsNameTheProblem() {
        for (String bad : new String[] {"0", "013", "00", "01,x2", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MergingMiniature.taskSets(bad), bad);
            assertTrue(e.getMessage().startsWith("taskSets: '") && e.getMessage().contains("spam-1 vs spam-2"), e.getMessage());
        }
    }

    @Test
    void taskEpochsBelowOneIsRefusedBeforeAnythingLoads() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MergingMiniature.main(new String[] {"claims=d", "taskEpochs=0"}));
        assertTrue(e.getMessage().contains("taskEpochs") && e.getMessage().contains("got taskEpochs=0"), e.getMessage());
    }

    @Test
    void gridOfCoefficients() {
        assertArrayEquals(new double[] {0.1, 0.2, 0.5, 1.0}, MergingMiniature.grid("0.1, 0.2,0.5,1.0"), 0.0);
    }

    @Test
    void badGridsNameTheProblem() {
        for (String bad : new String[] {"0,0.5", "0.5,0.2", "0.2,0.2", "0.1,x", "2.5", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MergingMiniature.grid(bad), bad);
            assertTrue(e.getMessage().startsWith("grid: '") && e.getMessage().contains("grid=0.2,0.4"), e.getMessage());
        }
    }

    @Test
    void ingredientsWithAndWithoutEpochs() {
        List<MergingMiniature.Recipe> r = MergingMiniature.ingredients("3e-5:1, 1e-4:4:2,1e-3:8");
        assertEquals(List.of(new MergingMiniature.Recipe(3e-5f, 1, 1), new MergingMiniature.Recipe(1e-4f, 4, 2),
                new MergingMiniature.Recipe(1e-3f, 8, 1)), r);
        assertEquals("lr 1e-04 s4 2 epochs", r.get(1).name());
        assertEquals("lr 3e-05 s1", r.get(0).name());
    }

    @Test
    void badIngredientsNameTheProblem() {
        for (String bad : new String[] {"1e-4", "1e-4:3:2:1", "x:3", "1e-4:3:0", "0:3", "-1e-4:3", "1e-4:3,1e-4:3", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MergingMiniature.ingredients(bad), bad);
            assertTrue(e.getMessage().startsWith("ingredients: '") && e.getMessage().contains("learningRate:seed[:epochs]"), e.getMessage());
        }
    }
}

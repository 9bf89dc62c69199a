package org.peft4j.benchmarks.experiments.soups;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The runner's {@code ingredients}, {@code taskSets}, {@code taskEpochs}, {@code grid} and {@code linesStep}
 * settings: which fine-tunes the soups get, which tasks each merge combines, how long each fine-tune runs,
 * which coefficients are tried; and the spec's pass test for (c).
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
    void linesStepSpansZeroToOne() {
        // methods-spec §7 item 4 sweeps alpha over {0, 0.1, ..., 1}
        double[] spec = MergingMiniature.linesAlphas("0.1");
        assertArrayEquals(new double[] {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0}, spec, 0.0);
        assertArrayEquals(new double[] {0.0, 0.2, 0.4, 0.6, 0.8, 1.0}, MergingMiniature.linesAlphas("0.2"), 0.0);
        assertArrayEquals(new double[] {0.0, 0.25, 0.5, 0.75, 1.0}, MergingMiniature.linesAlphas(" 0.25 "), 0.0);
        assertArrayEquals(new double[] {0.0, 1.0}, MergingMiniature.linesAlphas("1"), 0.0);
        assertEquals(List.of("0.3", "0.25", "1.0"), List.of(MergingMiniature.alphaText(spec[3]), MergingMiniature.alphaText(0.25),
                MergingMiniature.alphaText(1.0)));
    }

    @Test
    void badLinesStepsNameTheProblem() {
        for (String bad : new String[] {"0", "-0.1", "0.3", "1.5", "x", "0.001", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MergingMiniature.linesAlphas(bad), bad);
            assertTrue(e.getMessage().startsWith("linesStep: ") && e.getMessage().contains("0.1"), e.getMessage());
        }
    }

    @Test
    void specPassTestNeedsBothHalves() {
        // methods-spec §7 item 4: target >= 99% of the fine-tune's and >= 80% of the control drop recovered, both inclusive
        assertTrue(MergingMiniature.passes(0.99, 0.80));
        assertTrue(MergingMiniature.passes(1.01, 1.18));
        assertFalse(MergingMiniature.passes(0.9899, 0.95));
        assertFalse(MergingMiniature.passes(0.9958, 0.333));
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

package org.peft4j.merge.soup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.peft4j.merge.checkpoint.CheckpointView;
import org.peft4j.merge.checkpoint.InMemoryCheckpoint;

// Ingredients hold one parameter "w"; the fake held-out score is -(w - 2)^2, so a soup's score is
// known exactly from the mean of its ingredients' w (dyadic values: exact in float32).
class GreedySoupTest {

    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static SoupIngredient ingredient(String name, float w) {
        return new SoupIngredient(name, InMemoryCheckpoint.of(Map.of("w", manager.create(new float[] {w}))));
    }

    private static double score(CheckpointView model) {
        try (NDManager m = manager.newSubManager()) {
            double w = model.load("w", m).getFloat(0);
            return -(w - 2) * (w - 2);
        }
    }

    @Test
    void paperRuleKeepsAnIngredientThatLeavesTheScoreEqual() {
        // P and Q both score 0 and their soup scores 0: kept under >= (paper)
        List<SoupIngredient> in = List.of(ingredient("P", 2f), ingredient("Q", 2f), ingredient("R", 6f));
        GreedySoupReport r = GreedySoup.withRule(AcceptanceRule.AT_LEAST).cook(in, GreedySoupTest::score);
        assertEquals(List.of("P", "Q"), r.kept());
    }

    @Test
    void codeRuleRejectsAnIngredientThatLeavesTheScoreEqual() {
        List<SoupIngredient> in = List.of(ingredient("P", 2f), ingredient("Q", 2f), ingredient("R", 6f));
        GreedySoupReport r = GreedySoup.withRule(AcceptanceRule.STRICTLY_GREATER).cook(in, GreedySoupTest::score);
        assertEquals(List.of("P"), r.kept());
    }

    @Test
    void ingredientsAreTriedInOrderOfIndividualScoreAndImprovingOnesKept() {
        // individual scores: A(1) -1, B(3) -1, C(6) -16, D(2.5) -0.25 -> order D, A, B, C
        List<SoupIngredient> in =
                List.of(ingredient("A", 1f), ingredient("B", 3f), ingredient("C", 6f), ingredient("D", 2.5f));
        GreedySoupReport r = GreedySoup.paper().cook(in, GreedySoupTest::score);
        assertEquals(List.of("D", "A", "B", "C"), r.order());
        // {D,A}: mean 1.75 -> -0.0625 kept; {D,A,B}: mean 2.1667 -> -0.0278 kept;
        // {D,A,B,C}: mean 3.125 -> -1.27 rejected
        assertEquals(List.of("D", "A", "B"), r.kept());
        List<Double> t = r.trajectory();
        assertEquals(4, t.size());
        assertEquals(-0.25, t.get(0), 1e-12);
        assertEquals(-0.0625, t.get(1), 1e-12);
        // mean 6.5/3 in float32 then squared: 1e-6
        assertEquals(-Math.pow(6.5 / 3 - 2, 2), t.get(2), 1e-6);
        assertEquals(t.get(2), t.get(3), 0.0);
        assertEquals(false, r.steps().get(3).accepted());
        assertEquals(-Math.pow(12.5 / 4 - 2, 2), r.steps().get(3).candidateScore(), 1e-6);
        assertEquals(t.get(2), r.finalScore(), 0.0);
        assertEquals(-Math.pow(6.5 / 3 - 2, 2), score(r.soup()), 1e-6);
    }

    @Test
    void uniformSoupIsTheMeanOfTheIngredients() {
        CheckpointView soup =
                UniformSoup.of(
                        List.of(
                                InMemoryCheckpoint.of(Map.of("w", manager.create(new float[] {1f, -2f}))),
                                InMemoryCheckpoint.of(Map.of("w", manager.create(new float[] {3f, 4f}))),
                                InMemoryCheckpoint.of(Map.of("w", manager.create(new float[] {5f, 1f})))));
        NDArray w = soup.load("w", manager);
        assertEquals(3f, w.getFloat(0), 0f);
        assertEquals(1f, w.getFloat(1), 0f);
    }

    @Test
    void duplicateIngredientNamesAreRejected() {
        assertThrows(
                IllegalArgumentException.class,
                () -> GreedySoup.paper().cook(List.of(ingredient("A", 1f), ingredient("A", 2f)), GreedySoupTest::score));
    }
}

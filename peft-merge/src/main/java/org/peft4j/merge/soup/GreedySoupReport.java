package org.peft4j.merge.soup;

import java.util.List;
import java.util.Map;
import org.peft4j.merge.checkpoint.CheckpointView;

/**
 * What greedy soup did.
 *
 * @param individualScores held-out score of each ingredient alone, by name
 * @param order ingredient names sorted by individual score, descending (ties keep input order)
 * @param steps one step per ingredient, in {@link #order()}
 * @param kept names of the ingredients in the soup, in the order they were added
 * @param soup the final soup (uniform average of the kept ingredients), lazy
 */
public record GreedySoupReport(
        Map<String, Double> individualScores,
        List<String> order,
        List<SoupStep> steps,
        List<String> kept,
        CheckpointView soup) {

    /**
     * @return the best held-out score after each step
     */
    public List<Double> trajectory() {
        return steps.stream().map(SoupStep::bestScore).toList();
    }

    /**
     * @return held-out score of the final soup
     */
    public double finalScore() {
        return steps.get(steps.size() - 1).bestScore();
    }
}

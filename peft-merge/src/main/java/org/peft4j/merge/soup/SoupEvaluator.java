package org.peft4j.merge.soup;

import org.peft4j.merge.checkpoint.CheckpointView;

/**
 * Scores a candidate model on held-out data; higher is better (for example validation accuracy).
 * The candidate is a lazy view: the evaluator loads the tensors it needs into its own model.
 */
@FunctionalInterface
public interface SoupEvaluator {

    /**
     * @param candidate the model to score
     * @return its held-out score, higher is better; must be finite
     */
    double score(CheckpointView candidate);
}

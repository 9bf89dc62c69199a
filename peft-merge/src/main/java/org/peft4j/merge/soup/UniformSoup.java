package org.peft4j.merge.soup;

import java.util.List;
import org.peft4j.merge.checkpoint.CheckpointView;
import org.peft4j.merge.checkpoint.MergedCheckpoint;
import org.peft4j.merge.method.LinearAverage;

/**
 * The uniform soup: {@code theta = (1/k) sum_i theta_i} on every floating tensor, head included
 * (model-soups {@code main.py}). All ingredients must share keys and shapes.
 */
public final class UniformSoup {

    private UniformSoup() {}

    /**
     * Averages checkpoints, lazily (write the result with {@link
     * org.peft4j.merge.checkpoint.StreamingMerger}).
     *
     * @param ingredients fine-tuned checkpoints of one architecture, at least one
     * @return the mean, computed per tensor on load
     */
    public static CheckpointView of(List<? extends CheckpointView> ingredients) {
        if (ingredients == null || ingredients.isEmpty()) {
            throw new IllegalArgumentException("ingredients must hold at least one checkpoint");
        }
        return MergedCheckpoint.of(null, List.copyOf(ingredients), LinearAverage.uniform(ingredients.size()));
    }
}

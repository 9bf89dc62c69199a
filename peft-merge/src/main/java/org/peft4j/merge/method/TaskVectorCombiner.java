package org.peft4j.merge.method;

import ai.djl.ndarray.NDArray;

/**
 * Combines the task vectors {@code tau_i = theta_i - theta_base} of one tensor into one merged task
 * vector (PEFT {@code merge_utils} functions; the base is added by {@link TaskVectorMerge}).
 */
public interface TaskVectorCombiner {

    /**
     * Combines one tensor's task vectors, leaving {@code taus} unchanged.
     *
     * @param tensorName the tensor's checkpoint key (seeds random masks; otherwise unused)
     * @param taus stacked task vectors {@code [T, ...]}, float32, {@code T} = number of weights
     * @return merged task vector {@code [...]}, float32, in {@code taus}' manager
     */
    default NDArray combine(String tensorName, NDArray taus) {
        try (NDArray scratch = taus.duplicate()) {
            return combineOverwriting(tensorName, scratch);
        }
    }

    /**
     * Combines one tensor's task vectors, using {@code taus} as working memory (its contents are
     * undefined afterwards). Streaming merges call this to avoid a copy of the stack.
     *
     * @param tensorName the tensor's checkpoint key (seeds random masks; otherwise unused)
     * @param taus stacked task vectors {@code [T, ...]}, float32, overwritten
     * @return merged task vector {@code [...]}, float32, in {@code taus}' manager; it may be a view
     *     of {@code taus}' memory (its row 0), which stays valid after {@code taus} is closed
     */
    NDArray combineOverwriting(String tensorName, NDArray taus);

    /**
     * @return the per-input weights
     */
    Weights weights();

    /**
     * The same combiner with other weights (used to merge LoRA factors with square-root weights).
     *
     * @param weights one weight per input
     * @return a new combiner
     */
    TaskVectorCombiner withWeights(Weights weights);
}

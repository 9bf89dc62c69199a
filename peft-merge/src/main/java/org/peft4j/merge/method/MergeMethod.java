package org.peft4j.merge.method;

import ai.djl.ndarray.NDArray;

/**
 * Produces one merged parameter tensor from the base model's tensor and the same-named tensor of
 * every input model. {@link org.peft4j.merge.checkpoint.MergedCheckpoint} applies it tensor by
 * tensor over whole checkpoints.
 */
public interface MergeMethod {

    /**
     * @return whether {@link #merge} reads the base tensor (false: {@code base} may be null)
     */
    boolean usesBase();

    /**
     * Checks that the method can merge this many input models.
     *
     * @param inputCount number of input models (base excluded)
     * @throws IllegalArgumentException naming the allowed count
     */
    void requireInputCount(int inputCount);

    /**
     * Whether the merged checkpoint takes this tensor unchanged from the first input instead of
     * merging it (a head kept as fine-tuned): it is then not read from the base or the other inputs,
     * and its shape may differ from theirs.
     *
     * @param tensorName checkpoint key
     * @return false unless the method keeps the key as fine-tuned
     */
    default boolean takesFromFirstInput(String tensorName) {
        return false;
    }

    /**
     * Merges one tensor, leaving the arguments unchanged.
     *
     * @param tensorName checkpoint key (seeds random masks, selects LiNeS scales)
     * @param base base tensor {@code [...]}, float32, or null when {@link #usesBase()} is false
     * @param inputs stacked input tensors {@code [T, ...]}, float32
     * @return merged tensor {@code [...]}, float32, in {@code inputs}' manager
     */
    default NDArray merge(String tensorName, NDArray base, NDArray inputs) {
        try (NDArray scratch = inputs.duplicate()) {
            return mergeOverwriting(tensorName, base, scratch);
        }
    }

    /**
     * Merges one tensor, using {@code inputs} as working memory (its contents are undefined
     * afterwards; {@code base} is not modified). {@link
     * org.peft4j.merge.checkpoint.MergedCheckpoint} calls this on the stack it loaded, so a merge
     * needs no second copy of the inputs.
     *
     * @param tensorName checkpoint key (seeds random masks, selects LiNeS scales)
     * @param base base tensor {@code [...]}, float32, or null when {@link #usesBase()} is false
     * @param inputs stacked input tensors {@code [T, ...]}, float32, overwritten
     * @return merged tensor {@code [...]}, float32, a new array in {@code inputs}' manager
     */
    NDArray mergeOverwriting(String tensorName, NDArray base, NDArray inputs);
}

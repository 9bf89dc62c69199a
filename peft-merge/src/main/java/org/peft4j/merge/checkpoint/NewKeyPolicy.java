package org.peft4j.merge.checkpoint;

/**
 * What a merge does with a tensor key the input models have but the base lacks (typically a newly
 * trained classification head, which has no task vector).
 */
public enum NewKeyPolicy {
    /** Copy the tensor of the first input that has it, unmerged (the default). */
    KEEP_FIRST_INPUT,
    /** Leave the key out of the merged checkpoint. */
    DROP,
    /** Refuse the merge, naming the key. */
    FAIL
}

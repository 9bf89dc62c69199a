package org.peft4j.core.nn;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;

/**
 * A block that can make a deep copy of itself, values included. {@code modules_to_save} needs this
 * to keep a trainable copy of a whole module (such as a classification head) beside the frozen
 * original.
 */
public interface Copyable {

    /**
     * Returns a deep copy whose arrays are owned by {@code manager}.
     *
     * @param manager the owner of the copied arrays
     * @return an independent block with the same structure and values
     */
    Block copy(NDManager manager);
}

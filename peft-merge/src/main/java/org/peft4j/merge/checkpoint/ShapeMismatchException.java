package org.peft4j.merge.checkpoint;

import ai.djl.ndarray.types.Shape;
import org.peft4j.core.PeftException;

/** Two checkpoints hold the same key with different shapes; the message names the key and both shapes. */
public class ShapeMismatchException extends PeftException {

    private static final long serialVersionUID = 1L;

    /**
     * @param key the tensor key
     * @param leftName name of the first checkpoint
     * @param left its shape
     * @param rightName name of the second checkpoint
     * @param right its shape
     */
    public ShapeMismatchException(String key, String leftName, Shape left, String rightName, Shape right) {
        super("tensor '" + key + "' has shape " + left + " in " + leftName + " but " + right + " in " + rightName);
    }
}

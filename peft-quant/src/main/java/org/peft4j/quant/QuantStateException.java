package org.peft4j.quant;

import org.peft4j.core.PeftException;

/**
 * Thrown when a quantization state is inconsistent: a statistics tensor of the wrong length or
 * dtype, an unknown {@code quant_type}, a block size that is not an allowed power of two, truncated
 * packed data, a shape whose element count does not match the data. The message names the tensor
 * (its full checkpoint key where known) and the problem.
 */
public class QuantStateException extends PeftException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     *
     * @param message the tensor at fault and what is wrong with it
     */
    public QuantStateException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a cause.
     *
     * @param message the tensor at fault and what is wrong with it
     * @param cause the underlying failure
     */
    public QuantStateException(String message, Throwable cause) {
        super(message, cause);
    }
}

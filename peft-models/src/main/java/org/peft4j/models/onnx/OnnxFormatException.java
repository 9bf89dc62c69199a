package org.peft4j.models.onnx;

import org.peft4j.models.checkpoint.CheckpointException;

/** An ONNX file cannot be parsed, or its weights cannot be named or read; the message names the initializer. */
public class OnnxFormatException extends CheckpointException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong, naming the file and initializer
     */
    public OnnxFormatException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what is wrong
     * @param cause the underlying failure
     */
    public OnnxFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}

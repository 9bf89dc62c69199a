package org.peft4j.models.config;

import org.peft4j.core.PeftException;

/**
 * A model configuration ({@code config.json} or a builder) is invalid: the message names the file
 * when there is one, the field, the value found and the values allowed.
 */
public class ModelConfigException extends PeftException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong, naming the field
     */
    public ModelConfigException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what is wrong, naming the field
     * @param cause the underlying failure
     */
    public ModelConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}

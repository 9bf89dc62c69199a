package org.peft4j.core;

/**
 * The unchecked exception peft4j throws for invalid use of its API: a path that does not exist, a
 * layer that cannot host an adapter, an adapter name that is unknown or already taken, a merge that
 * would produce non-finite weights. The message always names the thing at fault.
 */
public class PeftException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message that names the problem.
     *
     * @param message what went wrong and, where possible, the allowed values
     */
    public PeftException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a message and a cause.
     *
     * @param message what went wrong
     * @param cause the underlying failure
     */
    public PeftException(String message, Throwable cause) {
        super(message, cause);
    }
}

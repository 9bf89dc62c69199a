package org.peft4j.models.checkpoint;

import org.peft4j.core.PeftException;

import java.util.List;

/**
 * A checkpoint cannot be read, written, or does not fit the model. For a mismatch the message lists
 * every missing, unexpected and mis-shaped tensor at once, and the lists are available as fields.
 */
public class CheckpointException extends PeftException {

    private static final long serialVersionUID = 1L;

    private final List<String> missing;
    private final List<String> unexpected;
    private final List<String> misshaped;

    /**
     * Creates an exception without key lists.
     *
     * @param message what went wrong, naming the file or key
     */
    public CheckpointException(String message) {
        this(message, List.of(), List.of(), List.of(), null);
    }

    /**
     * Creates an exception with a cause.
     *
     * @param message what went wrong, naming the file or key
     * @param cause the underlying failure
     */
    public CheckpointException(String message, Throwable cause) {
        this(message, List.of(), List.of(), List.of(), cause);
    }

    /**
     * Creates a mismatch exception.
     *
     * @param message the full message (listing the keys)
     * @param missing model parameters the checkpoint lacks, {@code "key [shape]"}
     * @param unexpected checkpoint tensors the model does not have, {@code "key [shape]"}
     * @param misshaped tensors whose shapes differ, {@code "key: checkpoint [..], model [..]"}
     * @param cause a cause, or null
     */
    public CheckpointException(
            String message, List<String> missing, List<String> unexpected, List<String> misshaped, Throwable cause) {
        super(message, cause);
        this.missing = List.copyOf(missing);
        this.unexpected = List.copyOf(unexpected);
        this.misshaped = List.copyOf(misshaped);
    }

    /**
     * Returns the missing keys with their model shapes.
     *
     * @return {@code "key [shape]"} entries
     */
    public List<String> missing() {
        return missing;
    }

    /**
     * Returns the unexpected keys with their checkpoint shapes.
     *
     * @return {@code "key [shape]"} entries
     */
    public List<String> unexpected() {
        return unexpected;
    }

    /**
     * Returns the keys whose shapes differ.
     *
     * @return {@code "key: checkpoint [..], model [..]"} entries
     */
    public List<String> misshaped() {
        return misshaped;
    }
}

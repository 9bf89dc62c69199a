package org.peft4j.core;

/** No module of the model matched the config's targets (or every match was excluded). */
public class NoTargetMatchedException extends PeftException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message names the targets and some existing layer paths
     */
    public NoTargetMatchedException(String message) {
        super(message);
    }
}

package org.peft4j.examples.train;

/** Training stopped because the loss or a gradient became NaN or infinite. */
public final class NonFiniteTrainingException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int step;
    private final String parameter;

    /**
     * Creates the exception.
     *
     * @param step the 1-based optimizer step
     * @param parameter the first parameter with a non-finite gradient, or null when the loss was
     * @param message the full message
     */
    public NonFiniteTrainingException(int step, String parameter, String message) {
        super(message);
        this.step = step;
        this.parameter = parameter;
    }

    /**
     * Returns the step.
     *
     * @return 1-based step
     */
    public int step() {
        return step;
    }

    /**
     * Returns the parameter, or null when the loss itself was non-finite.
     *
     * @return dotted parameter path or null
     */
    public String parameter() {
        return parameter;
    }
}

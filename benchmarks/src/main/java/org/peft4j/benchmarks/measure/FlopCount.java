package org.peft4j.benchmarks.measure;

/**
 * Analytic floating-point operation counts of one step.
 *
 * @param forward FLOPs of the forward pass
 * @param backward FLOPs of the backward pass (0 for inference)
 */
public record FlopCount(double forward, double backward) {

    /**
     * Returns forward plus backward.
     *
     * @return FLOPs per step
     */
    public double total() {
        return forward + backward;
    }

    /**
     * Adds two counts.
     *
     * @param other the other count
     * @return the sum
     */
    public FlopCount plus(FlopCount other) {
        return new FlopCount(forward + other.forward, backward + other.backward);
    }
}

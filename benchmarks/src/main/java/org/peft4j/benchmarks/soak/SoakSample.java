package org.peft4j.benchmarks.soak;

/**
 * One sample of a soak run, taken after {@code step} training steps.
 *
 * @param step training steps done (0: the model is built, no step has run)
 * @param rssBytes resident set of the process ({@code VmRSS}), bytes
 * @param heapUsedBytes Java heap in use, bytes
 * @param heapCommittedBytes Java heap committed, bytes
 * @param liveArrays NDArrays attached anywhere under the engine's system manager, or -1 if not counted
 * @param loss the mean cross-entropy of the last step, nats, or NaN before the first step
 * @param medianStepMillis median wall time of the steps since the previous sample, milliseconds, or NaN for step 0
 */
public record SoakSample(int step, long rssBytes, long heapUsedBytes, long heapCommittedBytes, int liveArrays, float loss,
        double medianStepMillis) {

    private static final double MIB = 1024.0 * 1024.0;

    /**
     * Returns the resident set in MiB.
     *
     * @return {@code rssBytes / 2^20}
     */
    public double rssMib() {
        return rssBytes / MIB;
    }

    /**
     * Returns the Java heap in use in MiB.
     *
     * @return {@code heapUsedBytes / 2^20}
     */
    public double heapUsedMib() {
        return heapUsedBytes / MIB;
    }

    /**
     * Returns the committed Java heap in MiB.
     *
     * @return {@code heapCommittedBytes / 2^20}
     */
    public double heapCommittedMib() {
        return heapCommittedBytes / MIB;
    }
}

package org.peft4j.benchmarks.soak;

/**
 * What a soak run does. Validated here, once.
 *
 * @param rowId the training row to run (see {@code benchmarks/run.sh rows})
 * @param steps training steps, at least 1
 * @param batch sequences per step, at least 1
 * @param seqLen tokens per sequence, at least 2
 * @param sampleEvery steps between two samples, at least 1
 * @param threads libtorch intra-op threads, at least 1
 */
public record SoakSettings(String rowId, int steps, int batch, int seqLen, int sampleEvery, int threads) {

    /** Warm-up ends at the first sample at or after this fraction of the steps... */
    public static final double WARM_UP_FRACTION = 0.10;
    /** ...and no earlier than this step. */
    public static final int MIN_WARM_UP_STEP = 100;

    /**
     * Checks the settings.
     *
     * @throws IllegalArgumentException naming the first bad field
     */
    public SoakSettings {
        if (rowId == null || rowId.isBlank()) {
            throw new IllegalArgumentException("--row: a row id is needed (see `rows`)");
        }
        positive("--steps", steps, 1);
        positive("--batch", batch, 1);
        positive("--seq-len", seqLen, 2);
        positive("--sample-every", sampleEvery, 1);
        positive("--threads", threads, 1);
    }

    /**
     * Returns the step from which the verdict measures growth: {@code max(100, ceil(0.1 · steps))}.
     * The warm-up sample is the first sample at or after it.
     *
     * @return a step count
     */
    public int warmUpStep() {
        return Math.max(MIN_WARM_UP_STEP, (int) Math.ceil(WARM_UP_FRACTION * steps));
    }

    private static void positive(String name, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be at least " + min + ", got " + value);
        }
    }
}

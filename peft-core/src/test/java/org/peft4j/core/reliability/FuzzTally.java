package org.peft4j.core.reliability;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a fuzz campaign saw for one format: inputs accepted (and verified), inputs rejected with an {@link
 * java.io.IOException} (counted by exception class), and failures: anything else the reader did, with the label
 * that reproduces it.
 */
public final class FuzzTally {

    /** Failures kept in full; the rest are only counted. */
    private static final int KEPT_FAILURES = 20;

    private final String format;
    private final long seed;
    private int inputs;
    private int accepted;
    private final Map<String, Integer> rejectedBy = new TreeMap<>();
    private final Map<String, String> exampleMessages = new TreeMap<>();
    private int failures;
    private final List<String> failureLabels = new ArrayList<>();
    private long nanos;
    private long slowestNanos;
    private String slowestLabel = "";

    FuzzTally(String format, long seed) {
        this.format = format;
        this.seed = seed;
    }

    void accepted(long elapsed, String label) {
        inputs++;
        accepted++;
        time(elapsed, label);
    }

    void rejected(Throwable error, long elapsed, String label) {
        inputs++;
        rejectedBy.merge(error.getClass().getSimpleName(), 1, Integer::sum);
        exampleMessages.putIfAbsent(error.getClass().getSimpleName(), label + " -> " + error.getMessage());
        time(elapsed, label);
    }

    void failed(String description, long elapsed, String label) {
        inputs++;
        failures++;
        if (failureLabels.size() < KEPT_FAILURES) {
            failureLabels.add(description);
        }
        time(elapsed, label);
    }

    private void time(long elapsed, String label) {
        nanos += elapsed;
        if (elapsed > slowestNanos) {
            slowestNanos = elapsed;
            slowestLabel = label;
        }
    }

    /** @return the format's name */
    public String format() {
        return format;
    }

    /** @return the seed of the campaign */
    public long seed() {
        return seed;
    }

    /** @return inputs run */
    public int inputs() {
        return inputs;
    }

    /** @return inputs the reader accepted and that passed every check */
    public int accepted() {
        return accepted;
    }

    /** @return inputs rejected with an IOException */
    public int rejected() {
        return rejectedBy.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** @return rejections by exception class name */
    public Map<String, Integer> rejectedBy() {
        return Collections.unmodifiableMap(rejectedBy);
    }

    /** @return for each exception class, the first input it rejected and the message it gave */
    public Map<String, String> exampleMessages() {
        return Collections.unmodifiableMap(exampleMessages);
    }

    /** @return inputs that ended in anything other than acceptance or an IOException */
    public int failures() {
        return failures;
    }

    /** @return the first failures, each with its reproducing label */
    public List<String> failureLabels() {
        return Collections.unmodifiableList(failureLabels);
    }

    /** @return the slowest single input, in milliseconds */
    public double slowestMillis() {
        return slowestNanos / 1e6;
    }

    /** @return the label of the slowest input */
    public String slowestLabel() {
        return slowestLabel;
    }

    /** @return mean time per input, in microseconds */
    public double meanMicros() {
        return inputs == 0 ? 0 : nanos / 1e3 / inputs;
    }

    /** @return one line with every count */
    @Override
    public String toString() {
        return String.format("%s: %d inputs (seed %d), %d accepted, %d rejected %s, %d failures; mean %.0f us,"
                + " slowest %.1f ms", format, inputs, seed, accepted, rejected(), rejectedBy, failures, meanMicros(),
                slowestMillis());
    }
}

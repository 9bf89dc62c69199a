package org.peft4j.core.reliability;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Runs a reader on {@code count} mutated inputs of one format. Each input must end, within a time bound, in one
 * of two ways:
 *
 * <ul>
 *   <li>an {@link IOException}: the only exception the readers under test promise for bad input (their javadoc:
 *       the message names the file and the problem; {@code SafetensorsException} and {@code FileNotFoundException}
 *       are IOExceptions). An {@code IllegalArgumentException}, {@code PeftException} or any other runtime exception
 *       escaping a reader is counted as a failure, because callers cannot be expected to catch it;</li>
 *   <li>acceptance, after which {@link FuzzFormat#check} verifies the result is a valid one.</li>
 * </ul>
 *
 * Everything else is a failure: other exceptions, {@link Error}s ({@code OutOfMemoryError}, {@code
 * StackOverflowError}), assertion failures of the result checks, inputs made invalid on purpose that are accepted,
 * valid edge cases that are rejected, and inputs that take longer than the bound (run preemptively, so a hang cannot
 * stall the campaign).
 */
public final class FuzzCampaign {

    /** System property with the number of inputs per format. */
    public static final String INPUTS_PROPERTY = "peft4j.fuzz.inputs";
    /** Inputs per format in the test suite. */
    public static final int DEFAULT_INPUTS = 2_000;
    /** System property with the campaign seed (shared with {@code CorruptSafetensorsCorpus}). */
    public static final String SEED_PROPERTY = "peft4j.fuzz.seed";
    /** The default seed. */
    public static final long DEFAULT_SEED = 20_240_601L;
    /**
     * Bound for one input: every input is at most a few hundred KB (a 100,000-deep nesting is the largest), so a
     * reader that needs more than this is scanning, recursing or allocating without bound. Generous for JIT warm-up
     * and a shared CI machine.
     */
    public static final Duration PER_INPUT = Duration.ofSeconds(2);

    private FuzzCampaign() {
    }

    /** @return inputs per format: {@value #INPUTS_PROPERTY} or {@link #DEFAULT_INPUTS} */
    public static int inputCount() {
        return Integer.getInteger(INPUTS_PROPERTY, DEFAULT_INPUTS);
    }

    /** @return the seed: {@value #SEED_PROPERTY} or {@link #DEFAULT_SEED} */
    public static long seed() {
        return Long.getLong(SEED_PROPERTY, DEFAULT_SEED);
    }

    /**
     * Runs one campaign.
     *
     * @param format the format and its reader
     * @param seed the seed
     * @param count the number of inputs
     * @param work an empty folder for the inputs
     * @return what happened
     * @throws IOException if the inputs cannot be written
     */
    public static FuzzTally run(FuzzFormat format, long seed, int count, Path work) throws IOException {
        format.prepare(work);
        FuzzTally tally = new FuzzTally(format.name(), seed);
        for (int i = 0; i < count; i++) {
            FuzzInput input = format.input(seed, i, work);
            String label = format.name() + " #" + i + " (seed " + seed + "): " + input.label();
            long start = System.nanoTime();
            Throwable outcome = null;
            try {
                assertTimeoutPreemptively(PER_INPUT, () -> {
                    format.check(input);
                    return null;
                }, label);
            } catch (Throwable t) {
                outcome = t;
            }
            long elapsed = System.nanoTime() - start;
            if (outcome == null) {
                if (input.expected() == FuzzInput.Expect.REJECT) {
                    tally.failed("accepted although it breaks the format: " + label, elapsed, label);
                } else {
                    tally.accepted(elapsed, label);
                }
            } else if (outcome instanceof IOException) {
                if (input.expected() == FuzzInput.Expect.ACCEPT) {
                    tally.failed("rejected although valid: " + label + " -> " + describe(outcome), elapsed, label);
                } else {
                    tally.rejected(outcome, elapsed, label);
                }
            } else {
                tally.failed(label + " -> " + describe(outcome), elapsed, label);
            }
        }
        return tally;
    }

    private static String describe(Throwable t) {
        String message = String.valueOf(t.getMessage());
        if (message.length() > 300) {
            message = message.substring(0, 300) + "...";
        }
        StackTraceElement[] trace = t.getStackTrace();
        return t.getClass().getName() + ": " + message + (trace.length == 0 ? "" : " at " + trace[0]);
    }
}

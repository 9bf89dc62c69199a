package org.peft4j.benchmarks.methods;

import ai.djl.util.Progress;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Progress} that prints nothing and records when each phase starts and ends, so a timing
 * run can split a long call (e.g. LoRA-SB's estimate: gradients, then SVDs) into its phases.
 */
public final class PhaseClock implements Progress {

    /**
     * One finished phase.
     *
     * @param name the phase's message
     * @param seconds its wall-clock duration
     */
    public record Phase(String name, double seconds) {}

    private final List<Phase> phases = new ArrayList<>();
    private String current;
    private long startedAt;

    /** {@inheritDoc} */
    @Override
    public void reset(String message, long max, String trailingMessage) {
        current = message;
        startedAt = System.nanoTime();
    }

    /** {@inheritDoc} */
    @Override
    public void start(long initialProgress) {
        startedAt = System.nanoTime();
    }

    /** {@inheritDoc} */
    @Override
    public void end() {
        if (current != null) {
            phases.add(new Phase(current, (System.nanoTime() - startedAt) / 1e9));
            current = null;
        }
    }

    /** {@inheritDoc} */
    @Override
    public void increment(long increment) {}

    /** {@inheritDoc} */
    @Override
    public void update(long progress, String message) {}

    /**
     * Returns the finished phases in order.
     *
     * @return the phases
     */
    public List<Phase> phases() {
        return List.copyOf(phases);
    }
}

package org.peft4j.benchmarks.report;

import java.util.List;

/**
 * One row of a run.
 *
 * @param id the row id
 * @param title the row label
 * @param kind {@code INFERENCE} or {@code TRAINING}
 * @param batch sequences per step
 * @param seqLen tokens per sequence
 * @param forwardFlops model FLOPs of the forward pass
 * @param stepFlops model FLOPs of a whole step (forward + backward for training)
 * @param jvm the peft4j side
 * @param python the PyTorch side, or null when not run
 * @param ratio {@code jvm.median / python.median} (below 1: peft4j is faster), or NaN
 * @param maxAbsDiffLogits largest |logit difference| between the sides on the check batch, or NaN
 * @param maxAbsDiffHidden largest |last_hidden_state difference| on the first sequences, or NaN
 * @param adapterEffect largest |logit change| the adapter makes on the JVM side (shows the check is
 *     not vacuous), or NaN
 * @param loadBefore the 1-minute load average when the row started
 * @param loadAfter the 1-minute load average when the row ended
 * @param loadPerRound the 1-minute load average after each timed round
 */
public record RowResult(
        String id,
        String title,
        String kind,
        int batch,
        int seqLen,
        double forwardFlops,
        double stepFlops,
        SideResult jvm,
        SideResult python,
        double ratio,
        double maxAbsDiffLogits,
        double maxAbsDiffHidden,
        double adapterEffect,
        double loadBefore,
        double loadAfter,
        List<Double> loadPerRound) {}

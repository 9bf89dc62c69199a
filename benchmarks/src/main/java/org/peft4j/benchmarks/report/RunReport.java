package org.peft4j.benchmarks.report;

import java.util.List;

/**
 * A whole run.
 *
 * @param mode {@code e2e} (peft4j only) or {@code vs-pytorch} (both sides, alternating)
 * @param startedAt ISO-8601 start time
 * @param machine CPU model, cores and memory, in words
 * @param java the JVM version
 * @param engine DJL and libtorch versions
 * @param python the PyTorch side's implementation, or null
 * @param threads intra-op threads per side
 * @param matmulPeakGflops the JVM side's matmul peak measured by the runner before the rows
 * @param loadAtStart the load average when the run started
 * @param loadAtEnd the load average when it ended
 * @param warmupSteps untimed steps per side and row
 * @param rounds alternating rounds per row
 * @param stepsPerRound timed steps per side and round
 * @param rows the rows
 */
public record RunReport(
        String mode,
        String startedAt,
        String machine,
        String java,
        String engine,
        String python,
        int threads,
        double matmulPeakGflops,
        String loadAtStart,
        String loadAtEnd,
        int warmupSteps,
        int rounds,
        int stepsPerRound,
        List<RowResult> rows) {}

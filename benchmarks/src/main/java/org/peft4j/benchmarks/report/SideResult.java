package org.peft4j.benchmarks.report;

import java.util.List;

/**
 * The measurements of one side (the JVM or PyTorch) on one row.
 *
 * @param implementation what ran, e.g. {@code "peft4j (DJL 0.36, libtorch 2.7.1)"}
 * @param threads intra-op threads
 * @param stepMillis every timed step, in run order
 * @param medianMillis the median step time
 * @param minMillis the fastest step
 * @param p90Millis the 90th percentile step time
 * @param tokensPerSecond {@code B·T / median}
 * @param achievedGflops model FLOPs per step / median, GFLOP/s
 * @param matmulPeakGflops the engine's 1024³ float32 matmul throughput measured in the same process,
 *     the median of measurements taken before warm-up and before every timed round
 * @param mfu {@code achievedGflops / matmulPeakGflops}
 * @param peakRssBytes the process's peak resident memory while it was warmed up and timed ({@code
 *     VmHWM} after a reset just before warm-up), -1 when unknown
 * @param trainableParameters parameters that receive gradient updates
 * @param totalParameters all parameters
 * @param cpuMillisPerStep process CPU time (all threads) per timed step: less sensitive to other
 *     load on the machine than wall time
 * @param minorFaultsPerStep minor page faults per timed step (fresh memory touched)
 */
public record SideResult(
        String implementation,
        int threads,
        List<Double> stepMillis,
        double medianMillis,
        double minMillis,
        double p90Millis,
        double tokensPerSecond,
        double achievedGflops,
        double matmulPeakGflops,
        double mfu,
        long peakRssBytes,
        long trainableParameters,
        long totalParameters,
        double cpuMillisPerStep,
        double minorFaultsPerStep) {}

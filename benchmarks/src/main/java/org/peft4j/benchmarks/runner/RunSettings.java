package org.peft4j.benchmarks.runner;

import java.nio.file.Path;

/**
 * How rows are timed.
 *
 * @param warmupSteps untimed steps per side before timing
 * @param rounds timed rounds; with the PyTorch side, the sides alternate round by round
 * @param stepsPerRound timed steps per side and round
 * @param threads intra-op threads for libtorch on both sides
 * @param python the Python interpreter for the PyTorch side, or null for the JVM side only
 * @param pythonScript the worker script
 * @param forceFallback use the plain-PyTorch fallback even when transformers and peft import
 * @param settleMillis pause between the sides' rounds, so that one side's spinning worker threads
 *     are asleep before the other side starts
 */
public record RunSettings(int warmupSteps, int rounds, int stepsPerRound, int threads, String python, Path pythonScript,
                          boolean forceFallback, long settleMillis) {

    /** Validates the counts. */
    public RunSettings {
        if (warmupSteps < 0 || rounds < 1 || stepsPerRound < 1 || threads < 1 || settleMillis < 0) {
            throw new IllegalArgumentException("need warmup >= 0, rounds >= 1, steps per round >= 1, threads >= 1; got warmup="
                    + warmupSteps + ", rounds=" + rounds + ", steps per round=" + stepsPerRound + ", threads=" + threads);
        }
    }

    /**
     * Returns whether the PyTorch side runs.
     *
     * @return python is set
     */
    public boolean withPython() {
        return python != null;
    }
}

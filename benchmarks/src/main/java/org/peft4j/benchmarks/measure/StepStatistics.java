package org.peft4j.benchmarks.measure;

import java.util.Arrays;
import java.util.List;

/**
 * Summary of repeated step times.
 *
 * @param count number of timed steps
 * @param medianMillis the median
 * @param minMillis the fastest step
 * @param p90Millis the 90th percentile (nearest rank)
 * @param meanMillis the mean
 */
public record StepStatistics(int count, double medianMillis, double minMillis, double p90Millis, double meanMillis) {

    /**
     * Summarises step times.
     *
     * @param millis step times in milliseconds, at least one
     * @return the statistics
     * @throws IllegalArgumentException if {@code millis} is empty
     */
    public static StepStatistics of(List<Double> millis) {
        if (millis.isEmpty()) {
            throw new IllegalArgumentException("no step times to summarise");
        }
        double[] s = millis.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = s.length;
        double median = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
        double p90 = s[Math.min(n - 1, (int) Math.ceil(0.9 * n) - 1)];
        return new StepStatistics(n, median, s[0], p90, Arrays.stream(s).average().orElse(Double.NaN));
    }
}

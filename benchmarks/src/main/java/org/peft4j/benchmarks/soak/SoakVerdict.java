package org.peft4j.benchmarks.soak;

import java.util.List;
import java.util.Optional;

/**
 * Whether resident memory grew after warm-up. Growth is measured from the warm-up sample (the first
 * sample at or after {@link SoakSettings#warmUpStep()}) to the last sample, and as the least-squares
 * slope of RSS over the samples of the second half of the run ({@code step >= steps / 2}). Memory
 * counts as flat when the slope is below {@value #MAX_SLOPE_MIB_PER_1000_STEPS} MiB per 1,000 steps
 * and the end is less than {@value #MAX_GROWTH_PERCENT}% above the warm-up sample.
 *
 * @param warmUpStep the step of the warm-up sample
 * @param warmUpRssMib RSS at the warm-up sample, MiB
 * @param endStep the step of the last sample
 * @param endRssMib RSS at the last sample, MiB
 * @param growthMib {@code endRssMib - warmUpRssMib}
 * @param growthPercent {@code 100 · growthMib / warmUpRssMib}
 * @param slopeFromStep the first step of the second half
 * @param slopeSamples samples in the second half
 * @param slopeMibPer1000Steps least-squares slope of RSS against step over the second half, MiB per 1,000
 *     steps; NaN with fewer than two samples there
 * @param warmUpLiveArrays live NDArrays at the warm-up sample (-1 if not counted)
 * @param endLiveArrays live NDArrays at the last sample (-1 if not counted)
 * @param slopeHolds whether the slope is below the bound
 * @param growthHolds whether the growth is below the bound
 */
public record SoakVerdict(int warmUpStep, double warmUpRssMib, int endStep, double endRssMib, double growthMib, double growthPercent,
        int slopeFromStep, int slopeSamples, double slopeMibPer1000Steps, int warmUpLiveArrays, int endLiveArrays, boolean slopeHolds,
        boolean growthHolds) {

    /** Bound on the second-half slope, MiB per 1,000 steps. */
    public static final double MAX_SLOPE_MIB_PER_1000_STEPS = 1.0;
    /** Bound on the growth from the warm-up sample to the end, percent. */
    public static final double MAX_GROWTH_PERCENT = 2.0;

    /**
     * Judges a run.
     *
     * @param samples the samples in step order, the last one at the final step
     * @param settings the run's settings
     * @return the verdict, or empty when no sample lies at or after the warm-up step and before the last one
     *     (the run was too short)
     */
    public static Optional<SoakVerdict> of(List<SoakSample> samples, SoakSettings settings) {
        if (samples.isEmpty()) {
            return Optional.empty();
        }
        SoakSample end = samples.get(samples.size() - 1);
        SoakSample warm = samples.stream().filter(s -> s.step() >= settings.warmUpStep()).findFirst().orElse(null);
        if (warm == null || warm == end) {
            return Optional.empty();
        }
        int half = settings.steps() / 2;
        List<SoakSample> second = samples.stream().filter(s -> s.step() >= half).toList();
        double slope = second.size() < 2 ? Double.NaN : 1000 * slope(second);
        double growth = end.rssMib() - warm.rssMib();
        double percent = 100 * growth / warm.rssMib();
        return Optional.of(new SoakVerdict(warm.step(), warm.rssMib(), end.step(), end.rssMib(), growth, percent, half, second.size(), slope,
                warm.liveArrays(), end.liveArrays(), slope < MAX_SLOPE_MIB_PER_1000_STEPS, percent < MAX_GROWTH_PERCENT));
    }

    /**
     * Returns whether both bounds hold.
     *
     * @return {@code slopeHolds && growthHolds}
     */
    public boolean holds() {
        return slopeHolds && growthHolds;
    }

    /** Ordinary least squares of RSS (MiB) on step: {@code Σ(x-x̄)(y-ȳ) / Σ(x-x̄)²}, MiB per step. */
    static double slope(List<SoakSample> samples) {
        double mx = samples.stream().mapToDouble(SoakSample::step).average().orElseThrow();
        double my = samples.stream().mapToDouble(SoakSample::rssMib).average().orElseThrow();
        double sxy = 0;
        double sxx = 0;
        for (SoakSample s : samples) {
            sxy += (s.step() - mx) * (s.rssMib() - my);
            sxx += (s.step() - mx) * (s.step() - mx);
        }
        return sxy / sxx;
    }
}

package org.peft4j.benchmarks.soak;

import java.util.List;
import java.util.Locale;

/**
 * The result of a soak run, and its Markdown rendering (pure formatting, no I/O).
 *
 * @param settings what ran
 * @param rowTitle the row's title
 * @param startedAt start time, ISO-8601 UTC
 * @param machine CPU, logical CPUs and memory
 * @param java the JVM
 * @param jvmOptions the heap and GC options the JVM was started with
 * @param engine DJL and libtorch versions
 * @param torchThreads libtorch intra-op threads during the run
 * @param loadAtStart load average (1/5/15 min) at the first step
 * @param loadAtEnd load average at the end
 * @param elapsedSeconds wall time of the steps, seconds
 * @param samples the samples in step order
 * @param verdict the verdict, or null when the run was too short for one
 */
public record SoakReport(SoakSettings settings, String rowTitle, String startedAt, String machine, String java, String jvmOptions,
        String engine, int torchThreads, String loadAtStart, String loadAtEnd, double elapsedSeconds, List<SoakSample> samples,
        SoakVerdict verdict) {

    /**
     * Renders the report: settings, the criterion and the verdict, the sample table and the chart.
     *
     * @param chartPrefix relative path prefix of {@code rss.png} (e.g. {@code ""} next to it), or null for no link
     * @return Markdown
     */
    public String markdown(String chartPrefix) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "Run `soak` started %s on %s; %s (%s); %s, %d threads.%n%n", startedAt, machine, java, jvmOptions,
                engine, torchThreads));
        s.append(String.format(Locale.ROOT, "Row `%s` (%s), batch %d x %d tokens, %,d training steps (each in its own sub-manager, "
                + "forward + cross-entropy + backward + AdamW), a sample every %d steps; %.0f s for the steps (%.0f ms per step on average); "
                + "load average (1/5/15 min) at start %s, at end %s.%n%n", settings.rowId(), rowTitle, settings.batch(), settings.seqLen(),
                settings.steps(), settings.sampleEvery(), elapsedSeconds, 1000 * elapsedSeconds / settings.steps(), loadAtStart, loadAtEnd));
        s.append(String.format(Locale.ROOT, "Criterion: resident memory counts as flat when the least-squares slope of RSS over the second "
                + "half of the run is below %.0f MiB per 1,000 steps and RSS at the end is less than %.0f%% above RSS after warm-up (the first "
                + "sample at or after step %d: 10%% of the steps, at least step %d).%n%n", SoakVerdict.MAX_SLOPE_MIB_PER_1000_STEPS,
                SoakVerdict.MAX_GROWTH_PERCENT, settings.warmUpStep(), SoakSettings.MIN_WARM_UP_STEP));
        if (verdict == null) {
            s.append("No verdict: no sample lies at or after the warm-up step and before the end (run more steps).\n\n");
        } else {
            SoakVerdict v = verdict;
            s.append("| measure | value | bound | holds? |\n|---|---:|---:|---|\n");
            s.append(String.format(Locale.ROOT, "| RSS after warm-up (step %,d) → end (step %,d) | %.1f → %.1f MiB: %+.1f MiB (%+.2f%%) | < %+.0f%% | %s |%n",
                    v.warmUpStep(), v.endStep(), v.warmUpRssMib(), v.endRssMib(), v.growthMib(), v.growthPercent(), SoakVerdict.MAX_GROWTH_PERCENT,
                    v.growthHolds() ? "yes" : "**no**"));
            s.append(String.format(Locale.ROOT, "| slope of RSS, steps %,d-%,d (%d samples) | %s MiB / 1,000 steps | < %.0f | %s |%n", v.slopeFromStep(),
                    v.endStep(), v.slopeSamples(), Double.isNaN(v.slopeMibPer1000Steps()) ? "n/a" : String.format(Locale.ROOT, "%+.2f",
                            v.slopeMibPer1000Steps()), SoakVerdict.MAX_SLOPE_MIB_PER_1000_STEPS, v.slopeHolds() ? "yes" : "**no**"));
            s.append(String.format(Locale.ROOT, "| live NDArrays, warm-up → end | %s → %s | (not bounded) | |%n%n", count(v.warmUpLiveArrays()),
                    count(v.endLiveArrays())));
            s.append(v.holds() ? "**Verdict: no native memory growth** (both bounds hold).\n\n" : "**Verdict: resident memory grew** (see the table).\n\n");
        }
        samples.stream().filter(x -> x.step() > 0 && !Float.isFinite(x.loss())).findFirst().ifPresent(x -> s.append(String.format(Locale.ROOT,
                "The training loss is not finite from the sample at step %,d on (the last finite loss: %s). The steps go on with the "
                + "same arrays and operations, so memory is measured all the same; the divergence itself is a separate matter.%n%n",
                x.step(), samples.stream().filter(y -> y.step() < x.step() && Float.isFinite(y.loss())).reduce((a, b) -> b)
                        .map(y -> String.format(Locale.ROOT, "%.4f at step %,d", y.loss(), y.step())).orElse("none"))));
        s.append("The Java heap has a fixed size when the JVM options above set `-Xms` = `-Xmx` with `-XX:+AlwaysPreTouch` (as `run.sh soak` "
                + "does by default): then all of it is resident from the start and any growth of RSS is native memory (libtorch, DJL) "
                + "or the JVM's own non-heap areas.\n\n");
        s.append("| step | RSS MiB | Java heap used MiB | Java heap committed MiB | live NDArrays | loss | median step ms (since last sample) |\n");
        s.append("|---:|---:|---:|---:|---:|---:|---:|\n");
        for (SoakSample x : samples) {
            s.append(String.format(Locale.ROOT, "| %,d | %.1f | %.1f | %.1f | %s | %s | %s |%n", x.step(), x.rssMib(), x.heapUsedMib(),
                    x.heapCommittedMib(), count(x.liveArrays()), loss(x),
                    Double.isNaN(x.medianStepMillis()) ? "-" : String.format(Locale.ROOT, "%.0f", x.medianStepMillis())));
        }
        if (chartPrefix != null) {
            s.append("\n![RSS over training steps](").append(chartPrefix).append("rss.png)\n");
        }
        return s.toString();
    }

    /** The loss for the table: "-" before the first step, "NaN"/"Infinity" as such, otherwise 4 decimals. */
    static String loss(SoakSample x) {
        if (x.step() == 0) {
            return "-";
        }
        return Float.isFinite(x.loss()) ? String.format(Locale.ROOT, "%.4f", x.loss()) : Float.toString(x.loss());
    }

    private static String count(int n) {
        return n < 0 ? "-" : String.format(Locale.ROOT, "%,d", n);
    }
}

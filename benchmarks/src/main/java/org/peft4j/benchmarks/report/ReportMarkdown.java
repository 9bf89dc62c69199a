package org.peft4j.benchmarks.report;

import java.util.Locale;

/**
 * Renders a {@link RunReport} as Markdown: a header with the machine, the engine, the matmul peak and
 * the load, then one table row per benchmark row, then the adapter overheads against the base
 * model. Pure formatting, no I/O.
 */
public final class ReportMarkdown {

    private ReportMarkdown() {}

    /**
     * Renders the report.
     *
     * @param r the report
     * @param chartPrefix the relative path prefix of the charts (e.g. {@code "../benchmarks/results/e2e/"}),
     *     or null for no chart links
     * @return the Markdown text
     */
    public static String render(RunReport r, String chartPrefix) {
        StringBuilder s = new StringBuilder();
        boolean vs = r.rows().stream().anyMatch(x -> x.python() != null);
        s.append(String.format(Locale.ROOT, "Run `%s` started %s on %s; %s; %s, %d threads per side.%n%n", r.mode(), r.startedAt(),
                r.machine(), r.java(), r.engine(), r.threads()));
        if (r.python() != null) {
            s.append("PyTorch side: ").append(r.python()).append(".\n\n");
        }
        s.append(String.format(Locale.ROOT, "Matmul peak (DJL, 1024x1024x1024 float32, median of 15): **%.1f GFLOP/s**. "
                + "Load average (1/5/15 min) at start %s, at end %s. Batch %d x %d tokens; %d warm-up steps, then %d round(s) of %d timed step(s) per side%s.%n%n",
                r.matmulPeakGflops(), r.loadAtStart(), r.loadAtEnd(), r.rows().isEmpty() ? 0 : r.rows().get(0).batch(),
                r.rows().isEmpty() ? 0 : r.rows().get(0).seqLen(), r.warmupSteps(), r.rounds(), r.stepsPerRound(),
                vs ? ", the two sides alternating round by round" : ""));
        if (vs) {
            s.append("| row | peft4j median ms | PyTorch median ms | ratio peft4j/PyTorch | CPU-time ratio | peft4j tokens/s | peft4j MFU | PyTorch MFU "
                    + "| peft4j peak RSS MB | PyTorch peak RSS MB | trainable params (peft4j / PyTorch) | max abs diff logits | load 1-min |\n");
            s.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (RowResult x : r.rows()) {
                SideResult j = x.jvm();
                SideResult p = x.python();
                s.append(String.format(Locale.ROOT, "| %s | %.1f | %s | %s | %s | %,.0f | %.1f%% | %s | %s | %s | %s | %s | %s |%n", x.title(),
                        j.medianMillis(), p == null ? "-" : fmt("%.1f", p.medianMillis()), p == null ? "-" : fmt("**%.2f**", x.ratio()),
                        p == null ? "-" : fmt("%.2f", j.cpuMillisPerStep() / p.cpuMillisPerStep()),
                        j.tokensPerSecond(), 100 * j.mfu(), p == null ? "-" : fmt("%.1f%%", 100 * p.mfu()), mb(j.peakRssBytes()),
                        p == null ? "-" : mb(p.peakRssBytes()),
                        p == null ? fmt("%,d", j.trainableParameters()) : fmt("%,d", j.trainableParameters()) + " / " + fmt("%,d", p.trainableParameters()),
                        Double.isNaN(x.maxAbsDiffLogits()) ? "-" : fmt("%.2g", x.maxAbsDiffLogits()), loads(x)));
            }
        } else {
            s.append("| row | median ms | min ms | p90 ms | CPU ms/step | tokens/s | GFLOP/s | matmul peak GFLOP/s | MFU | peak RSS MB | trainable params | step GFLOP | load 1-min |\n");
            s.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (RowResult x : r.rows()) {
                SideResult j = x.jvm();
                s.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.1f | %.0f | %,.0f | %.1f | %.1f | %.1f%% | %s | %,d | %.1f | %s |%n", x.title(),
                        j.medianMillis(), j.minMillis(), j.p90Millis(), j.cpuMillisPerStep(), j.tokensPerSecond(), j.achievedGflops(),
                        j.matmulPeakGflops(), 100 * j.mfu(), mb(j.peakRssBytes()), j.trainableParameters(), x.stepFlops() / 1e9, loads(x)));
            }
        }
        String overhead = overheads(r);
        if (!overhead.isEmpty()) {
            s.append('\n').append(overhead);
        }
        s.append("\nMFU = model FLOPs per step / median step time / the matmul peak measured in the same process (median of the measurements before warm-up and before each round) "
                + "(see ModelFlops for the count: 2·m·n·k per product; training = forward + input gradients + weight gradients of trainable weights).\n");
        if (chartPrefix != null) {
            s.append('\n');
            s.append("![step time](").append(chartPrefix).append("step-time.png)\n");
            s.append("![MFU](").append(chartPrefix).append("mfu.png)\n");
            s.append("![peak memory](").append(chartPrefix).append("peak-memory.png)\n");
        }
        return s.toString();
    }

    /**
     * Returns the inference overheads of the LoRA rows against the base row, when those rows ran.
     *
     * @param r the report
     * @return Markdown lines, or empty
     */
    public static String overheads(RunReport r) {
        RowResult base = find(r, "inference-base");
        if (base == null) {
            return "";
        }
        StringBuilder s = new StringBuilder();
        for (String id : new String[] {"inference-lora-unmerged", "inference-lora-merged"}) {
            RowResult x = find(r, id);
            if (x == null) {
                continue;
            }
            s.append(String.format(Locale.ROOT, "- %s vs base (peft4j): %+.1f%% median step time%s%n", x.title(),
                    100 * (x.jvm().medianMillis() / base.jvm().medianMillis() - 1),
                    x.python() == null || base.python() == null ? ""
                            : String.format(Locale.ROOT, " (PyTorch: %+.1f%%)", 100 * (x.python().medianMillis() / base.python().medianMillis() - 1))));
        }
        return s.toString();
    }

    private static RowResult find(RunReport r, String id) {
        return r.rows().stream().filter(x -> x.id().equals(id)).findFirst().orElse(null);
    }

    private static String loads(RowResult x) {
        double max = x.loadPerRound().stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        return String.format(Locale.ROOT, "%.1f-%.1f", Math.min(x.loadBefore(), x.loadAfter()), Math.max(max, Math.max(x.loadBefore(), x.loadAfter())));
    }

    private static String mb(long bytes) {
        return bytes < 0 ? "n/a" : String.format(Locale.ROOT, "%,.0f", bytes / 1e6);
    }

    private static String fmt(String f, Object v) {
        return String.format(Locale.ROOT, f, v);
    }
}

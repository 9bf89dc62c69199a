package org.peft4j.benchmarks.runner;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;

import org.peft4j.benchmarks.measure.LoadAverage;
import org.peft4j.benchmarks.measure.ProcessCounters;
import org.peft4j.benchmarks.measure.StepStatistics;
import org.peft4j.benchmarks.measure.TraceSummary;
import org.peft4j.benchmarks.workload.BenchmarkRow;
import org.peft4j.benchmarks.workload.MiniLmWorkload;
import org.peft4j.benchmarks.workload.PreparedModel;
import org.peft4j.benchmarks.workload.RowContext;
import org.peft4j.models.bert.BertConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Profiles one row in this process with libtorch's profiler: a few warm-up steps, then timed steps
 * without the profiler, then profiled steps whose Chrome trace is summarised as self time per
 * operator. Shows where a step's time goes (matrix products, softmax, layer norm, allocation...).
 */
public final class RowProfiler {

    private RowProfiler() {}

    /**
     * Profiles a row.
     *
     * @param row the row
     * @param workDir the work folder (the checkpoint is exported there if missing)
     * @param warmup untimed steps
     * @param timed steps timed without the profiler
     * @param profiled steps under the profiler
     * @param out where the summary goes
     * @return the trace summary table
     * @throws IOException if files cannot be written
     */
    public static String profile(BenchmarkRow row, Path workDir, int warmup, int timed, int profiled, PrintStream out) throws IOException {
        Engine.getInstance();
        Path checkpoint = MiniLmWorkload.exportCheckpoint(workDir.resolve("minilm-classifier"));
        BertConfig config = MiniLmWorkload.config(checkpoint);
        Engine.getInstance().setRandomSeed((int) MiniLmWorkload.SEED);
        try (NDManager manager = NDManager.newBaseManager()) {
            Path rowDir = Files.createDirectories(workDir.resolve("profile").resolve(row.id()));
            PreparedModel prepared = row.prepare(new RowContext(manager, checkpoint, rowDir, MiniLmWorkload.SEED));
            try (JvmStepper stepper = new JvmStepper(prepared.block(), row.kind(), MiniLmWorkload.inputs(config), manager)) {
                for (int i = 0; i < warmup; i++) {
                    stepper.step();
                }
                List<Double> ms = new ArrayList<>();
                ProcessCounters c0 = ProcessCounters.now();
                for (int i = 0; i < timed; i++) {
                    ms.add(stepper.step());
                }
                ProcessCounters c = ProcessCounters.now().since(c0);
                out.printf(Locale.ROOT, "%s: median %.1f ms over %d steps (min %.1f); per step %.1f CPU-ms, %,d minor page faults; load %s%n", row.id(),
                        StepStatistics.of(ms).medianMillis(), timed, StepStatistics.of(ms).minMillis(), c.cpuNanos() / 1e6 / timed,
                        c.minorFaults() / timed, LoadAverage.now());
                Path trace = rowDir.resolve("trace.json");
                JniUtils.startProfile(false, false, false);
                for (int i = 0; i < profiled; i++) {
                    stepper.step();
                }
                JniUtils.stopProfile(trace.toString());
                String table = TraceSummary.table(TraceSummary.read(trace), 25, profiled);
                out.println(table);
                return table;
            }
        }
    }
}

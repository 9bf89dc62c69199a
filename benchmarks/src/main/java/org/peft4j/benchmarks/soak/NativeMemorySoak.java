package org.peft4j.benchmarks.soak;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;

import org.peft4j.benchmarks.measure.LoadAverage;
import org.peft4j.benchmarks.measure.PeakMemory;
import org.peft4j.benchmarks.measure.StepStatistics;
import org.peft4j.benchmarks.runner.BenchmarkRun;
import org.peft4j.benchmarks.runner.JvmStepper;
import org.peft4j.benchmarks.workload.BenchmarkRow;
import org.peft4j.benchmarks.workload.MiniLmWorkload;
import org.peft4j.benchmarks.workload.PreparedModel;
import org.peft4j.benchmarks.workload.RowContext;
import org.peft4j.benchmarks.workload.RowKind;
import org.peft4j.benchmarks.workload.WorkloadInputs;
import org.peft4j.models.bert.BertConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Runs one training row for many steps in this process and samples its memory: the exported MiniLM
 * classifier, the row's adapters, one fixed batch, and {@link JvmStepper}'s step (each step in its own
 * sub-manager that is closed at the end of the step). Every {@code sampleEvery} steps, and after the
 * last step, it records {@code VmRSS}, the Java heap, the number of live NDArrays (every array still
 * attached under the engine's system manager, counted with {@code NDManager.getManagedArrays()}, which
 * recurses into sub-managers), the last loss and the median step time since the previous sample.
 */
public final class NativeMemorySoak {

    private NativeMemorySoak() {}

    /**
     * Runs the soak.
     *
     * @param row a training row
     * @param settings steps, shape, sampling, threads
     * @param workDir the work folder (the exported checkpoint is kept there)
     * @param out one progress line per sample
     * @return the report, with the verdict when the run was long enough
     * @throws IOException if the work folder cannot be written
     * @throws IllegalArgumentException if the row is not a training row or the shape does not fit the model
     */
    public static SoakReport run(BenchmarkRow row, SoakSettings settings, Path workDir, PrintStream out) throws IOException {
        if (row.kind() != RowKind.TRAINING) {
            throw new IllegalArgumentException("--row: " + row.id() + " is an inference row; the soak runs training steps (e.g. train-lora-r8-qv)");
        }
        Engine.getInstance();
        JniUtils.setNumThreads(settings.threads());
        Path checkpoint = MiniLmWorkload.exportCheckpoint(workDir.resolve("minilm-classifier"));
        BertConfig config = MiniLmWorkload.config(checkpoint);
        WorkloadInputs inputs = MiniLmWorkload.inputs(config, settings.batch(), settings.seqLen());
        String startedAt = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS).toString();
        List<SoakSample> samples = new ArrayList<>();
        LoadAverage loadStart;
        long t0;
        try (NDManager manager = NDManager.newBaseManager()) {
            NDManager system = manager.getParentManager();
            Engine.getInstance().setRandomSeed((int) MiniLmWorkload.SEED);
            Path rowDir = Files.createDirectories(workDir.resolve("soak").resolve(row.id()));
            PreparedModel prepared = row.prepare(new RowContext(manager, checkpoint, rowDir, MiniLmWorkload.SEED));
            try (JvmStepper stepper = new JvmStepper(prepared.block(), row.kind(), inputs, manager)) {
                stepper.readLoss(true);
                loadStart = LoadAverage.now();
                out.printf(Locale.ROOT, "soak: %s, batch %d x %d, %,d steps, a sample every %d, %d threads; load %s%n", row.id(),
                        settings.batch(), settings.seqLen(), settings.steps(), settings.sampleEvery(), JniUtils.getNumThreads(), loadStart);
                samples.add(sample(0, system, Float.NaN, List.of(), settings.steps(), out));
                List<Double> sinceLast = new ArrayList<>();
                t0 = System.nanoTime();
                for (int step = 1; step <= settings.steps(); step++) {
                    sinceLast.add(stepper.step());
                    if (step % settings.sampleEvery() == 0 || step == settings.steps()) {
                        samples.add(sample(step, system, stepper.lastLoss(), sinceLast, settings.steps(), out));
                        sinceLast.clear();
                    }
                }
            }
        }
        double elapsed = (System.nanoTime() - t0) / 1e9;
        String jvmOptions = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("-Xm") || a.startsWith("-XX:")).collect(Collectors.joining(" "));
        return new SoakReport(settings, row.title(), startedAt, BenchmarkRun.machine(),
                System.getProperty("java.vm.name") + " " + Runtime.version(), jvmOptions.isEmpty() ? "default heap" : jvmOptions,
                "DJL " + Engine.getDjlVersion() + ", libtorch " + Engine.getInstance().getVersion(), JniUtils.getNumThreads(),
                loadStart.toString(), LoadAverage.now().toString(), elapsed, samples,
                SoakVerdict.of(samples, settings).orElse(null));
    }

    private static SoakSample sample(int step, NDManager system, float loss, List<Double> stepMillis, int steps, PrintStream out) {
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        int live = system == null ? -1 : system.getManagedArrays().size();
        double median = stepMillis.isEmpty() ? Double.NaN : StepStatistics.of(stepMillis).medianMillis();
        SoakSample s = new SoakSample(step, PeakMemory.rssBytes(), heap.getUsed(), heap.getCommitted(), live, loss, median);
        out.printf(Locale.ROOT, "  step %,d/%,d: RSS %.1f MiB, heap %.0f/%.0f MiB, %,d live NDArrays, loss %s, median step %s, load %.2f%n", step,
                steps, s.rssMib(), s.heapUsedMib(), s.heapCommittedMib(), live, SoakReport.loss(s),
                Double.isNaN(median) ? "-" : String.format(Locale.ROOT, "%.0f ms", median), LoadAverage.now().one());
        return s;
    }
}

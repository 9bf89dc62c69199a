package org.peft4j.benchmarks.runner;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;

import org.peft4j.benchmarks.measure.FlopCount;
import org.peft4j.benchmarks.measure.LoadAverage;
import org.peft4j.benchmarks.measure.MatmulPeak;
import org.peft4j.benchmarks.measure.ModelFlops;
import org.peft4j.benchmarks.measure.PeakMemory;
import org.peft4j.benchmarks.measure.ProcessCounters;
import org.peft4j.benchmarks.measure.StepStatistics;
import org.peft4j.benchmarks.report.RowResult;
import org.peft4j.benchmarks.report.SideResult;
import org.peft4j.benchmarks.sidebyside.PythonWorker;
import org.peft4j.benchmarks.workload.BenchmarkRow;
import org.peft4j.benchmarks.workload.MiniLmWorkload;
import org.peft4j.benchmarks.workload.PreparedModel;
import org.peft4j.benchmarks.workload.PythonRowSpec;
import org.peft4j.benchmarks.workload.RowContext;
import org.peft4j.benchmarks.workload.RowKind;
import org.peft4j.benchmarks.workload.RowRegistry;
import org.peft4j.benchmarks.workload.WorkloadInputs;
import org.peft4j.core.PeftModel;
import org.peft4j.core.TrainableSummary;
import org.peft4j.core.io.AtomicFiles;
import org.peft4j.core.io.SafetensorsWriter;
import org.peft4j.models.bert.BertConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The main class of a forked row process: builds one row's model, optionally starts the PyTorch
 * worker and checks its outputs, warms both sides up, times alternating rounds and writes a {@link
 * RowResult} as JSON. Usage: {@code RowProcess <job.json>} (see {@link RowJob}).
 */
public final class RowProcess {

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();

    private RowProcess() {}

    /**
     * Runs the job named by the first argument.
     *
     * @param args {@code <job.json>}
     * @throws Exception if the row fails (the process exits non-zero)
     */
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: RowProcess <job.json>");
        }
        RowJob job = GSON.fromJson(Files.readString(Path.of(args[0])), RowJob.class);
        RowResult r = run(job);
        AtomicFiles.writeString(Path.of(job.resultFile()), GSON.toJson(r));
        System.exit(0); // do not wait for libtorch's thread pools
    }

    static RowResult run(RowJob job) throws IOException, InterruptedException {
        Engine.getInstance(); // loads libtorch and turns grad mode off on this thread
        double loadBefore = LoadAverage.now().one();
        BenchmarkRow row = RowRegistry.load().get(job.rowId());
        Path checkpoint = Path.of(job.checkpoint());
        Path workDir = Files.createDirectories(Path.of(job.workDir()));
        BertConfig config = MiniLmWorkload.config(checkpoint);
        WorkloadInputs inputs = MiniLmWorkload.inputs(config);
        Engine.getInstance().setRandomSeed((int) MiniLmWorkload.SEED);
        boolean training = row.kind() == RowKind.TRAINING;
        try (NDManager manager = NDManager.newBaseManager()) {
            RowContext ctx = new RowContext(manager, checkpoint, workDir, MiniLmWorkload.SEED);
            PreparedModel prepared = row.prepare(ctx);
            TrainableSummary params = PeftModel.summarize(prepared.block());
            FlopCount flops = ModelFlops.bert(prepared.block(), config.numHiddenLayers(), config.numAttentionHeads(), config.headSize(),
                    inputs.batch(), inputs.seqLen(), training);
            PythonRowSpec spec = job.python() == null ? null : row.python(prepared, ctx);
            double diffLogits = Double.NaN;
            double diffHidden = Double.NaN;
            double adapterEffect = Double.NaN;
            try (JvmStepper jvm = new JvmStepper(prepared.block(), row.kind(), inputs, manager);
                    PythonWorker py = spec == null ? null : PythonWorker.start(job.python(), Path.of(job.pythonScript()))) {
                JsonObject pySetup = null;
                if (py != null) {
                    Path expected = workDir.resolve("expected.safetensors");
                    adapterEffect = writeExpected(jvm, prepared, expected, manager);
                    pySetup = py.call(setupCommand(job, spec, row.kind(), expected));
                    diffLogits = pySetup.get("max_abs_diff_logits").getAsDouble();
                    diffHidden = pySetup.get("max_abs_diff_hidden").getAsDouble();
                    System.err.printf("  check: max |logits diff| %.3g, max |hidden diff| %.3g (adapter changes logits by up to %.3g); PyTorch side: %s%n",
                            diffLogits, diffHidden, adapterEffect, pySetup.get("implementation").getAsString());
                }
                // the matmul peak is measured before every round on both sides (and its median used), so
                // that it sees the same machine load as the steps it is compared with
                List<Double> jvmPeaks = new ArrayList<>(List.of(MatmulPeak.measure(manager, MatmulPeak.DEFAULT_SIZE, 3, 9).medianGflops()));
                List<Double> pyPeaks = new ArrayList<>();
                if (py != null) {
                    pyPeaks.add(pySetup.get("matmul_gflops").getAsDouble());
                }
                PeakMemory.resetPeak();
                if (py != null) {
                    py.simple("reset_peak");
                }
                for (int i = 0; i < job.warmupSteps(); i++) {
                    jvm.step();
                }
                if (py != null) {
                    settle(job);
                    py.steps(job.warmupSteps());
                }
                List<Double> jvmMs = new ArrayList<>();
                List<Double> pyMs = new ArrayList<>();
                List<Double> loads = new ArrayList<>();
                ProcessCounters jvmCounters = new ProcessCounters(0, 0);
                double pyCpu = 0;
                double pyFaults = 0;
                for (int round = 0; round < job.rounds(); round++) {
                    if (py != null) {
                        settle(job);
                    }
                    jvmPeaks.add(MatmulPeak.measure(manager, MatmulPeak.DEFAULT_SIZE, 1, 5).medianGflops());
                    ProcessCounters c0 = ProcessCounters.now();
                    for (int s = 0; s < job.stepsPerRound(); s++) {
                        jvmMs.add(jvm.step());
                    }
                    ProcessCounters c = ProcessCounters.now().since(c0);
                    jvmCounters = new ProcessCounters(jvmCounters.cpuNanos() + c.cpuNanos(), jvmCounters.minorFaults() + c.minorFaults());
                    if (py != null) {
                        settle(job);
                        pyPeaks.add(py.simple("peak").get("matmul_gflops").getAsDouble());
                        JsonObject a = py.stepsWithCounters(job.stepsPerRound());
                        a.getAsJsonArray("ms").forEach(e -> pyMs.add(e.getAsDouble()));
                        pyCpu += a.get("cpu_ms").getAsDouble();
                        pyFaults += a.get("minor_faults").getAsDouble();
                    }
                    loads.add(LoadAverage.now().one());
                    System.err.printf("  round %d/%d: JVM %.0f ms%s, load %.2f%n", round + 1, job.rounds(),
                            StepStatistics.of(jvmMs.subList(jvmMs.size() - job.stepsPerRound(), jvmMs.size())).medianMillis(),
                            py == null ? "" : String.format(" | PyTorch %.0f ms", StepStatistics.of(pyMs.subList(pyMs.size() - job.stepsPerRound(), pyMs.size())).medianMillis()),
                            loads.get(loads.size() - 1));
                }
                SideResult jvmSide = side("peft4j (DJL " + Engine.getDjlVersion() + ", libtorch " + Engine.getInstance().getVersion() + ")",
                        JniUtils.getNumThreads(), jvmMs, flops.total(), inputs.tokens(), median(jvmPeaks), PeakMemory.peakRssBytes(),
                        params.trainable(), params.total(), jvmCounters.cpuNanos() / 1e6 / jvmMs.size(),
                        (double) jvmCounters.minorFaults() / jvmMs.size());
                SideResult pySide = null;
                double ratio = Double.NaN;
                if (py != null) {
                    JsonObject mem = py.simple("memory");
                    pySide = side(pySetup.get("implementation").getAsString() + ", torch " + pySetup.get("torch").getAsString(),
                            pySetup.get("threads").getAsInt(), pyMs, flops.total(), inputs.tokens(), median(pyPeaks),
                            mem.get("peak_rss_bytes").getAsLong(), pySetup.get("trainable_parameters").getAsLong(),
                            pySetup.get("total_parameters").getAsLong(), pyCpu / pyMs.size(), pyFaults / pyMs.size());
                    ratio = jvmSide.medianMillis() / pySide.medianMillis();
                }
                return new RowResult(row.id(), row.title(), row.kind().name(), inputs.batch(), inputs.seqLen(), flops.forward(), flops.total(),
                        jvmSide, pySide, ratio, diffLogits, diffHidden, adapterEffect, loadBefore, LoadAverage.now().one(), loads);
            }
        }
    }

    private static double median(List<Double> values) {
        return StepStatistics.of(values).medianMillis();
    }

    private static void settle(RowJob job) throws InterruptedException {
        if (job.settleMillis() > 0) {
            Thread.sleep(job.settleMillis());
        }
    }

    private static SideResult side(String implementation, int threads, List<Double> ms, double stepFlops, long tokens, double peakGflops,
                                   long peakRss, long trainable, long total, double cpuMs, double faults) {
        StepStatistics s = StepStatistics.of(ms);
        double gflops = stepFlops / (s.medianMillis() * 1e6);
        return new SideResult(implementation, threads, List.copyOf(ms), s.medianMillis(), s.minMillis(), s.p90Millis(),
                tokens / (s.medianMillis() / 1e3), gflops, peakGflops, gflops / peakGflops, peakRss, trainable, total, cpuMs, faults);
    }

    private static JsonObject setupCommand(RowJob job, PythonRowSpec spec, RowKind kind, Path expected) {
        JsonObject c = new JsonObject();
        c.addProperty("cmd", "setup");
        c.addProperty("checkpoint", job.checkpoint());
        c.addProperty("inputs", job.inputsFile());
        c.addProperty("expected", expected.toString());
        c.addProperty("adapter_dir", spec.adapterDir() == null ? null : spec.adapterDir().toString());
        c.addProperty("merged", spec.merged());
        c.addProperty("full_finetune", spec.fullFinetune());
        c.addProperty("kind", kind == RowKind.TRAINING ? "training" : "inference");
        c.addProperty("threads", job.threads());
        c.addProperty("force_fallback", job.forceFallback());
        return c;
    }

    /**
     * Writes the JVM's inference outputs for the check: all logits and the first 4 sequences' last
     * hidden state.
     *
     * @return the largest logit change the adapter makes (NaN without an unmerged adapter)
     */
    private static double writeExpected(JvmStepper jvm, PreparedModel prepared, Path file, NDManager manager) throws IOException {
        try (NDManager sm = manager.newSubManager()) {
            NDList out = jvm.evaluate(sm);
            NDArray logits = out.get(out.size() - 1);
            Map<String, NDArray> t = new LinkedHashMap<>();
            t.put("logits", logits);
            t.put("last_hidden_state", out.get(0).get("0:4").duplicate());
            SafetensorsWriter.save(file, t, Map.of());
            double effect = Double.NaN;
            if (prepared.peft() != null && prepared.peft().mergedAdapters().isEmpty()) {
                try (PeftModel.DisabledAdapters off = prepared.peft().disableAdapters()) {
                    NDList base = jvm.evaluate(sm);
                    effect = base.get(base.size() - 1).sub(logits).abs().max().getFloat();
                }
            }
            return effect;
        }
    }
}

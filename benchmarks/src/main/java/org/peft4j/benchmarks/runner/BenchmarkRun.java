package org.peft4j.benchmarks.runner;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

import org.peft4j.benchmarks.measure.LoadAverage;
import org.peft4j.benchmarks.measure.MatmulPeak;
import org.peft4j.benchmarks.report.RowResult;
import org.peft4j.benchmarks.report.RunReport;
import org.peft4j.benchmarks.workload.BenchmarkRow;
import org.peft4j.benchmarks.workload.MiniLmWorkload;
import org.peft4j.core.io.AtomicFiles;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Runs rows, each in a forked JVM with the same class path, and collects a {@link RunReport}. The
 * classifier checkpoint and the input batch are exported once, before the first row, so no row
 * process pays for (or counts the memory of) reading the ONNX weights.
 */
public final class BenchmarkRun {

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();

    private BenchmarkRun() {}

    /**
     * Runs the rows.
     *
     * @param mode {@code e2e} or {@code vs-pytorch}
     * @param rows the rows, in order
     * @param settings timing settings
     * @param workDir where the checkpoint, inputs and per-row files go
     * @param log progress messages
     * @return the report
     * @throws IOException if files cannot be written or a row process fails
     * @throws InterruptedException if interrupted
     */
    public static RunReport run(String mode, List<BenchmarkRow> rows, RunSettings settings, Path workDir, PrintStream log)
            throws IOException, InterruptedException {
        String startedAt = OffsetDateTime.now().truncatedTo(ChronoUnit.SECONDS).toString();
        LoadAverage loadStart = LoadAverage.now();
        Path checkpoint = MiniLmWorkload.exportCheckpoint(workDir.resolve("minilm-classifier"));
        Path inputsFile = workDir.resolve("inputs.safetensors");
        MiniLmWorkload.writeInputs(inputsFile, MiniLmWorkload.inputs(MiniLmWorkload.config(checkpoint)));
        MatmulPeak peak;
        try (NDManager m = NDManager.newBaseManager()) {
            peak = MatmulPeak.measure(m, MatmulPeak.DEFAULT_SIZE, 3, 15);
        }
        log.printf(Locale.ROOT, "matmul peak (DJL, 1024^3 float32): %.1f GFLOP/s; load %s%n", peak.medianGflops(), LoadAverage.now());
        List<RowResult> results = new ArrayList<>();
        String pythonImpl = null;
        for (BenchmarkRow row : rows) {
            log.printf(Locale.ROOT, "%s (%s), load %s%n", row.title(), row.id(), LoadAverage.now());
            Path rowDir = Files.createDirectories(workDir.resolve("rows").resolve(row.id()));
            Path result = rowDir.resolve("result.json");
            Files.deleteIfExists(result);
            RowJob job = new RowJob(row.id(), checkpoint.toString(), inputsFile.toString(), rowDir.toString(), result.toString(),
                    settings.warmupSteps(), settings.rounds(), settings.stepsPerRound(), settings.threads(), settings.python(),
                    settings.pythonScript() == null ? null : settings.pythonScript().toString(), settings.forceFallback(), settings.settleMillis());
            Path jobFile = rowDir.resolve("job.json");
            AtomicFiles.writeString(jobFile, GSON.toJson(job));
            int code = fork(jobFile, settings.threads());
            if (code != 0 || !Files.isRegularFile(result)) {
                throw new IOException("row " + row.id() + " failed (exit code " + code + "); see the messages above");
            }
            RowResult r = GSON.fromJson(Files.readString(result), RowResult.class);
            if (r.python() != null) {
                pythonImpl = r.python().implementation();
            }
            results.add(r);
            log.printf(Locale.ROOT, "  median %.1f ms, %.0f tokens/s, MFU %.1f%%%s%n", r.jvm().medianMillis(), r.jvm().tokensPerSecond(),
                    100 * r.jvm().mfu(), r.python() == null ? "" : String.format(Locale.ROOT, "; PyTorch %.1f ms, ratio %.2f", r.python().medianMillis(), r.ratio()));
        }
        return new RunReport(mode, startedAt, machine(), System.getProperty("java.vm.name") + " " + Runtime.version(),
                "DJL " + Engine.getDjlVersion() + ", libtorch " + Engine.getInstance().getVersion(), pythonImpl, settings.threads(),
                peak.medianGflops(), loadStart.toString(), LoadAverage.now().toString(), settings.warmupSteps(), settings.rounds(),
                settings.stepsPerRound(), results);
    }

    private static int fork(Path jobFile, int threads) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xss16m", "-Xmx3g", "-Dai.djl.offline=true",
                "-Dai.djl.pytorch.num_threads=" + threads, "-Dai.djl.pytorch.num_interop_threads=1",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error",
                "-cp", System.getProperty("java.class.path"), RowProcess.class.getName(), jobFile.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        return pb.start().waitFor();
    }

    /**
     * Assembles a report from the row results a run left in {@code workDir} (for example when it
     * was stopped before its last row): every selected row that has a {@code result.json}, in the
     * given order.
     *
     * @param mode the mode to label the report with
     * @param rows the rows to look for
     * @param workDir the run's work folder
     * @return the report (matmul peak: the median of the rows' JVM peaks)
     * @throws IOException if a result cannot be read, or none is there
     */
    public static RunReport collect(String mode, List<BenchmarkRow> rows, Path workDir) throws IOException {
        List<RowResult> results = new ArrayList<>();
        RowJob job = null;
        String startedAt = null;
        for (BenchmarkRow row : rows) {
            Path dir = workDir.resolve("rows").resolve(row.id());
            Path result = dir.resolve("result.json");
            if (!Files.isRegularFile(result)) {
                continue;
            }
            results.add(GSON.fromJson(Files.readString(result), RowResult.class));
            job = GSON.fromJson(Files.readString(dir.resolve("job.json")), RowJob.class);
            if (startedAt == null) {
                startedAt = Files.getLastModifiedTime(dir.resolve("job.json")).toInstant().truncatedTo(ChronoUnit.SECONDS).toString();
            }
        }
        if (results.isEmpty()) {
            throw new IOException("no row results under " + workDir.resolve("rows"));
        }
        List<Double> peaks = results.stream().map(r -> r.jvm().matmulPeakGflops()).sorted().toList();
        String python = results.stream().filter(r -> r.python() != null).map(r -> r.python().implementation()).findFirst().orElse(null);
        RowResult first = results.get(0);
        RowResult last = results.get(results.size() - 1);
        return new RunReport(mode, startedAt, machine(), System.getProperty("java.vm.name") + " " + Runtime.version(),
                "DJL " + Engine.getDjlVersion() + ", libtorch " + Engine.getInstance().getVersion(), python, job.threads(),
                peaks.get(peaks.size() / 2), String.format(Locale.ROOT, "%.2f (1-min)", first.loadBefore()),
                String.format(Locale.ROOT, "%.2f (1-min)", last.loadAfter()), job.warmupSteps(), job.rounds(), job.stepsPerRound(), results);
    }

    /**
     * Describes this machine: CPU model, logical CPUs and memory.
     *
     * @return e.g. {@code "AMD EPYC, 2 CPUs, 23.4 GiB"}
     */
    public static String machine() {
        String cpu = "unknown CPU";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux: keep the placeholder
        }
        double mem = -1;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    mem = Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0 / 1024.0;
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // unknown
        }
        return String.format(Locale.ROOT, "%s, %d CPUs%s", cpu, Runtime.getRuntime().availableProcessors(),
                mem > 0 ? String.format(Locale.ROOT, ", %.1f GiB", mem) : "");
    }
}

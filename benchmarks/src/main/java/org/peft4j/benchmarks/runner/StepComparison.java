package org.peft4j.benchmarks.runner;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

import com.google.gson.GsonBuilder;

import org.peft4j.benchmarks.measure.LoadAverage;
import org.peft4j.benchmarks.measure.ProcessCounters;
import org.peft4j.benchmarks.measure.StepStatistics;
import org.peft4j.benchmarks.workload.BenchmarkRow;
import org.peft4j.benchmarks.workload.MiniLmWorkload;
import org.peft4j.benchmarks.workload.PreparedModel;
import org.peft4j.benchmarks.workload.RowContext;
import org.peft4j.benchmarks.workload.WorkloadInputs;
import org.peft4j.core.io.AtomicFiles;
import org.peft4j.models.bert.BertConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Compares the steps of two or more rows in one process, so that machine load falls on all of them
 * alike: every row's model is built once, then each round runs one step of every row, in forward
 * order on even rounds and in reverse order on odd ones (so no row always follows the same one).
 * Reported per row: median wall and CPU milliseconds (CPU of the whole process during the step, all
 * threads) and, against the first row, the ratio of medians and the median of the per-round ratios
 * (the pair of steps of one round saw nearly the same load).
 */
public final class StepComparison {

    private StepComparison() {}

    /**
     * Measures and writes {@code step-compare/latest.md} and {@code latest.json} under {@code results}.
     *
     * @param rows the rows, the first is the reference (at least two)
     * @param workDir the work folder (checkpoint, row folders)
     * @param results the results folder
     * @param warmup untimed rounds
     * @param rounds timed rounds
     * @param out progress and the table
     * @return the Markdown table
     * @throws IOException if files cannot be written
     * @throws IllegalArgumentException if fewer than two rows are given
     */
    public static String run(List<BenchmarkRow> rows, Path workDir, Path results, int warmup, int rounds, PrintStream out)
            throws IOException {
        if (rows.size() < 2) {
            throw new IllegalArgumentException("--rows: give at least two rows to compare, got " + rows.size());
        }
        Engine.getInstance();
        Path checkpoint = MiniLmWorkload.exportCheckpoint(workDir.resolve("minilm-classifier"));
        BertConfig config = MiniLmWorkload.config(checkpoint);
        WorkloadInputs inputs = MiniLmWorkload.inputs(config);
        int n = rows.size();
        List<List<Double>> wall = new ArrayList<>();
        List<List<Double>> cpu = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            wall.add(new ArrayList<>());
            cpu.add(new ArrayList<>());
        }
        LoadAverage loadStart;
        try (NDManager manager = NDManager.newBaseManager()) {
            List<JvmStepper> steppers = new ArrayList<>();
            try {
                for (BenchmarkRow row : rows) {
                    Engine.getInstance().setRandomSeed((int) MiniLmWorkload.SEED);
                    Path rowDir = Files.createDirectories(workDir.resolve("step-compare").resolve(row.id()));
                    PreparedModel prepared = row.prepare(new RowContext(manager, checkpoint, rowDir, MiniLmWorkload.SEED));
                    steppers.add(new JvmStepper(prepared.block(), row.kind(), inputs, manager));
                }
                loadStart = LoadAverage.now();
                for (int round = 0; round < warmup + rounds; round++) {
                    List<Integer> order = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        order.add(i);
                    }
                    if (round % 2 == 1) {
                        Collections.reverse(order);
                    }
                    for (int i : order) {
                        ProcessCounters c0 = ProcessCounters.now();
                        double ms = steppers.get(i).step();
                        double cpuMs = ProcessCounters.now().since(c0).cpuNanos() / 1e6;
                        if (round >= warmup) {
                            wall.get(i).add(ms);
                            cpu.get(i).add(cpuMs);
                        }
                    }
                    if (round >= warmup) {
                        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  round %d/%d:", round - warmup + 1, rounds));
                        for (int i = 0; i < n; i++) {
                            line.append(String.format(Locale.ROOT, " %s %.0f ms (%.0f CPU-ms)", rows.get(i).id(), last(wall.get(i)), last(cpu.get(i))));
                        }
                        out.println(line.append(String.format(Locale.ROOT, ", load %.2f", LoadAverage.now().one())));
                    }
                }
            } finally {
                steppers.forEach(JvmStepper::close);
            }
        }
        LoadAverage loadEnd = LoadAverage.now();
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Batch %d x %d; %d threads; %d warm-up + %d timed rounds, one step of each row per round "
                + "(order reversed every other round); load (1/5/15 min) at start %s, at end %s.%n%n", inputs.batch(), inputs.seqLen(),
                ai.djl.pytorch.jni.JniUtils.getNumThreads(), warmup, rounds, loadStart, loadEnd));
        md.append("| row | median ms | median CPU ms | vs first (wall, ratio of medians) | vs first (wall, median of round ratios) "
                + "| vs first (CPU, ratio of medians) | vs first (CPU, median of round ratios) |\n|---|---:|---:|---:|---:|---:|---:|\n");
        Map<String, Object> json = new LinkedHashMap<>();
        double wall0 = StepStatistics.of(wall.get(0)).medianMillis();
        double cpu0 = StepStatistics.of(cpu.get(0)).medianMillis();
        for (int i = 0; i < n; i++) {
            double w = StepStatistics.of(wall.get(i)).medianMillis();
            double c = StepStatistics.of(cpu.get(i)).medianMillis();
            md.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.3f | %.3f | %.3f | %.3f |%n", rows.get(i).id(), w, c, w / wall0,
                    medianRatio(wall.get(i), wall.get(0)), c / cpu0, medianRatio(cpu.get(i), cpu.get(0))));
            json.put(rows.get(i).id(), Map.of("wall_ms", wall.get(i), "cpu_ms", cpu.get(i)));
        }
        json.put("load_start", loadStart.toString());
        json.put("load_end", loadEnd.toString());
        Path dir = Files.createDirectories(results.resolve("step-compare"));
        AtomicFiles.writeString(dir.resolve("latest.md"), md.toString());
        AtomicFiles.writeString(dir.resolve("latest.json"), new GsonBuilder().setPrettyPrinting().create().toJson(json));
        out.println(md);
        return md.toString();
    }

    /** The median over rounds of {@code a[k] / b[k]}. */
    static double medianRatio(List<Double> a, List<Double> b) {
        List<Double> r = new ArrayList<>();
        for (int k = 0; k < a.size(); k++) {
            r.add(a.get(k) / b.get(k));
        }
        Collections.sort(r);
        int m = r.size();
        return m % 2 == 1 ? r.get(m / 2) : (r.get(m / 2 - 1) + r.get(m / 2)) / 2;
    }

    private static double last(List<Double> l) {
        return l.isEmpty() ? Double.NaN : l.get(l.size() - 1);
    }
}

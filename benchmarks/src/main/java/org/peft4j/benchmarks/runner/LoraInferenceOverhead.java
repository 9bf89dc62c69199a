package org.peft4j.benchmarks.runner;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

import com.google.gson.GsonBuilder;

import org.peft4j.benchmarks.measure.LoadAverage;
import org.peft4j.benchmarks.measure.ProcessCounters;
import org.peft4j.benchmarks.measure.StepStatistics;
import org.peft4j.benchmarks.workload.MiniLmWorkload;
import org.peft4j.benchmarks.workload.PreparedModel;
import org.peft4j.benchmarks.workload.RowContext;
import org.peft4j.benchmarks.workload.RowKind;
import org.peft4j.benchmarks.workload.RowRegistry;
import org.peft4j.benchmarks.workload.WorkloadInputs;
import org.peft4j.core.PeftModel;
import org.peft4j.core.io.AtomicFiles;
import org.peft4j.models.bert.BertConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The inference overhead of a LoRA adapter measured in one process on one model, so that machine
 * load cancels out: the {@code inference-lora-unmerged} model runs in turn with its adapters
 * disabled (the base model), enabled and unmerged, and merged, one step of each per round. The base
 * and merged variants run the very same weight arrays (merging writes into them), so their
 * difference is only the adapter hosts' bookkeeping. The variant that runs first rotates from round
 * to round.
 */
public final class LoraInferenceOverhead {

    /** The variants, in the order each round runs them. */
    public static final List<String> VARIANTS = List.of("base (adapters disabled)", "LoRA unmerged", "LoRA merged");

    private LoraInferenceOverhead() {}

    /**
     * Measures and writes {@code overhead/latest.md} and {@code latest.json} under {@code results}.
     *
     * @param workDir the work folder (checkpoint)
     * @param results the results folder
     * @param warmup untimed rounds
     * @param rounds timed rounds
     * @param out progress and the table
     * @return the Markdown table
     * @throws IOException if files cannot be written
     */
    public static String run(Path workDir, Path results, int warmup, int rounds, PrintStream out) throws IOException {
        Engine.getInstance();
        Path checkpoint = MiniLmWorkload.exportCheckpoint(workDir.resolve("minilm-classifier"));
        BertConfig config = MiniLmWorkload.config(checkpoint);
        WorkloadInputs inputs = MiniLmWorkload.inputs(config);
        Engine.getInstance().setRandomSeed((int) MiniLmWorkload.SEED);
        LoadAverage loadStart = LoadAverage.now();
        Map<String, List<Double>> wall = new LinkedHashMap<>();
        Map<String, List<Double>> cpu = new LinkedHashMap<>();
        VARIANTS.forEach(v -> {
            wall.put(v, new ArrayList<>());
            cpu.put(v, new ArrayList<>());
        });
        try (NDManager manager = NDManager.newBaseManager()) {
            Path rowDir = Files.createDirectories(workDir.resolve("overhead"));
            PreparedModel prepared = RowRegistry.load().get("inference-lora-unmerged").prepare(new RowContext(manager, checkpoint, rowDir, MiniLmWorkload.SEED));
            PeftModel peft = prepared.peft();
            try (JvmStepper stepper = new JvmStepper(prepared.block(), RowKind.INFERENCE, inputs, manager)) {
                for (int round = 0; round < warmup + rounds; round++) {
                    // the starting variant rotates from round to round, so no variant always runs first
                    for (int k = 0; k < VARIANTS.size(); k++) {
                        String v = VARIANTS.get((round + k) % VARIANTS.size());
                        ProcessCounters c0 = ProcessCounters.now();
                        double ms;
                        if (v.startsWith("base")) {
                            try (PeftModel.DisabledAdapters off = peft.disableAdapters()) {
                                ms = stepper.step();
                            }
                        } else if (v.equals("LoRA merged")) {
                            peft.merge(false);
                            c0 = ProcessCounters.now(); // the merge itself is not part of a step
                            ms = stepper.step();
                            ProcessCounters c = ProcessCounters.now().since(c0);
                            peft.unmerge();
                            record(round, warmup, wall.get(v), cpu.get(v), ms, c);
                            continue;
                        } else {
                            ms = stepper.step();
                        }
                        record(round, warmup, wall.get(v), cpu.get(v), ms, ProcessCounters.now().since(c0));
                    }
                    if (round >= warmup) {
                        out.printf(Locale.ROOT, "  round %d/%d: %s, load %.2f%n", round - warmup + 1, rounds,
                                String.join(" | ", VARIANTS.stream().map(v -> String.format(Locale.ROOT, "%s %.0f ms", v, last(wall.get(v)))).toList()),
                                LoadAverage.now().one());
                    }
                }
            }
        }
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "LoRA r=8 on query, value; batch %d x %d; %d threads; %d rounds, one step of each variant per round, the first variant rotating; "
                + "load (1/5/15 min) at start %s, at end %s.%n%n", inputs.batch(), inputs.seqLen(), ai.djl.pytorch.jni.JniUtils.getNumThreads(),
                rounds, loadStart, LoadAverage.now()));
        md.append("| variant | median ms | vs base (wall) | median CPU ms | vs base (CPU) |\n|---|---:|---:|---:|---:|\n");
        double baseWall = StepStatistics.of(wall.get(VARIANTS.get(0))).medianMillis();
        double baseCpu = StepStatistics.of(cpu.get(VARIANTS.get(0))).medianMillis();
        Map<String, Object> json = new LinkedHashMap<>();
        for (String v : VARIANTS) {
            double w = StepStatistics.of(wall.get(v)).medianMillis();
            double c = StepStatistics.of(cpu.get(v)).medianMillis();
            md.append(String.format(Locale.ROOT, "| %s | %.1f | %+.1f%% | %.1f | %+.1f%% |%n", v, w, 100 * (w / baseWall - 1), c, 100 * (c / baseCpu - 1)));
            json.put(v, Map.of("wall_ms", wall.get(v), "cpu_ms", cpu.get(v)));
        }
        json.put("load_start", loadStart.toString());
        json.put("load_end", LoadAverage.now().toString());
        Path dir = Files.createDirectories(results.resolve("overhead"));
        AtomicFiles.writeString(dir.resolve("latest.md"), md.toString());
        AtomicFiles.writeString(dir.resolve("latest.json"), new GsonBuilder().setPrettyPrinting().create().toJson(json));
        out.println(md);
        return md.toString();
    }

    private static void record(int round, int warmup, List<Double> wall, List<Double> cpu, double ms, ProcessCounters c) {
        if (round >= warmup) {
            wall.add(ms);
            cpu.add(c.cpuNanos() / 1e6);
        }
    }

    private static double last(List<Double> l) {
        return l.isEmpty() ? Double.NaN : l.get(l.size() - 1);
    }
}

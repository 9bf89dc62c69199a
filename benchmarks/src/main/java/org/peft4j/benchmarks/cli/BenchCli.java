package org.peft4j.benchmarks.cli;

import org.peft4j.benchmarks.measure.LoadAverage;
import org.peft4j.benchmarks.report.ReportFiles;
import org.peft4j.benchmarks.report.ReportMarkdown;
import org.peft4j.benchmarks.report.RunReport;
import org.peft4j.benchmarks.runner.BenchmarkRun;
import org.peft4j.benchmarks.runner.LoraInferenceOverhead;
import org.peft4j.benchmarks.runner.RowProfiler;
import org.peft4j.benchmarks.runner.RunSettings;
import org.peft4j.benchmarks.runner.StepComparison;
import org.peft4j.benchmarks.soak.NativeMemorySoak;
import org.peft4j.benchmarks.soak.SoakFiles;
import org.peft4j.benchmarks.soak.SoakReport;
import org.peft4j.benchmarks.soak.SoakSettings;
import org.peft4j.benchmarks.workload.BenchmarkRow;
import org.peft4j.benchmarks.workload.RowRegistry;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code e2e}: the end-to-end rows on the JVM. {@code vs-pytorch}: the same rows side by side with
 * PyTorch, alternating. {@code profile}: where one row's time goes. {@code step-compare}: the steps of
 * several rows interleaved in one process. {@code soak}: resident memory over thousands of training
 * steps. {@code rows}: lists the rows.
 */
@Command(name = "peft4j-bench", mixinStandardHelpOptions = true, subcommands = {BenchCli.EndToEnd.class, BenchCli.VsPyTorch.class, BenchCli.Profile.class, BenchCli.Collect.class, BenchCli.Overhead.class, BenchCli.StepCompare.class, BenchCli.Soak.class, BenchCli.Rows.class},
        description = "End-to-end benchmarks of peft4j on all-MiniLM-L6-v2 (batch 32 x 128), alone or side by side with PyTorch.")
public final class BenchCli implements Callable<Integer> {

    /**
     * Runs the command line.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        CommandLine cl = new CommandLine(new BenchCli());
        cl.setExecutionExceptionHandler((e, c, p) -> {
            System.err.println("peft4j-bench: " + e.getMessage());
            return 1;
        });
        System.exit(cl.execute(args));
    }

    @Override
    public Integer call() {
        CommandLine.usage(this, System.out);
        return 0;
    }

    /** The results and work folders, shared by the commands that write results. */
    static final class Folders {
        @Option(names = "--results", defaultValue = "benchmarks/results", description = "results folder (default: ${DEFAULT-VALUE})")
        Path results;

        @Option(names = "--work", defaultValue = "benchmarks/target/bench-work", description = "work folder (default: ${DEFAULT-VALUE})")
        Path work;

        Path work() {
            return work.toAbsolutePath();
        }

        /** Writes a run's JSON, table and charts under the results folder and prints the table. */
        void writeReport(RunReport r) throws java.io.IOException {
            Path dir = ReportFiles.write(r, results);
            System.out.println(ReportMarkdown.render(r, null));
            System.err.println("wrote " + dir.resolve("latest.json") + ", latest.md and charts");
        }
    }

    /** Options both runners share. */
    static class Common {
        @Option(names = "--rows", split = ",", description = "row ids to run (default: all; see `rows`)")
        List<String> rows = new ArrayList<>();

        @Option(names = "--warmup", defaultValue = "3", description = "untimed steps per side (default: ${DEFAULT-VALUE})")
        int warmup;

        @Option(names = "--rounds", defaultValue = "6", description = "timed rounds (default: ${DEFAULT-VALUE})")
        int rounds;

        @Option(names = "--steps-per-round", defaultValue = "2", description = "timed steps per side and round (default: ${DEFAULT-VALUE})")
        int stepsPerRound;

        @Option(names = "--threads", description = "intra-op threads per side (default: all CPUs)")
        int threads = Runtime.getRuntime().availableProcessors();

        @Mixin
        Folders folders;

        @Option(names = "--wait-load", defaultValue = "2.5", description = "wait until the 1-minute load average is at most this (default: ${DEFAULT-VALUE})")
        double waitLoad;

        @Option(names = "--wait-max", defaultValue = "0", description = "wait at most this many seconds for the load to drop (default: ${DEFAULT-VALUE}, no wait)")
        long waitMax;

        RunReport run(String mode, String python, Path script, boolean forceFallback) throws Exception {
            if (waitMax > 0) {
                LoadAverage l = LoadAverage.now();
                System.err.printf(Locale.ROOT, "load %s; waiting up to %d s for the 1-minute load to drop to %.1f%n", l, waitMax, waitLoad);
                l = LoadAverage.waitBelow(waitLoad, waitMax, 10);
                System.err.println("load now " + l);
            }
            List<BenchmarkRow> selected = RowRegistry.load().select(rows);
            RunSettings s = new RunSettings(warmup, rounds, stepsPerRound, threads, python, script, forceFallback, python == null ? 0 : 300);
            RunReport r = BenchmarkRun.run(mode, selected, s, folders.work(), System.err);
            folders.writeReport(r);
            return r;
        }
    }

    /** The end-to-end rows on the JVM only. */
    @Command(name = "e2e", mixinStandardHelpOptions = true, description = "Time every row on the JVM; write results/e2e/.")
    static final class EndToEnd implements Callable<Integer> {
        @CommandLine.Mixin
        Common common = new Common();

        @Override
        public Integer call() throws Exception {
            common.run("e2e", null, null, false);
            return 0;
        }
    }

    /** The rows side by side with PyTorch. */
    @Command(name = "vs-pytorch", mixinStandardHelpOptions = true,
            description = "Time every row on the JVM and in PyTorch (+ HF PEFT, or the plain-PyTorch fallback), alternating; write results/vs-pytorch/.")
    static final class VsPyTorch implements Callable<Integer> {
        @CommandLine.Mixin
        Common common = new Common();

        @Option(names = "--python", required = true, description = "a Python interpreter that imports torch")
        String python;

        @Option(names = "--script", defaultValue = "benchmarks/python/peft4j_bench_worker.py", description = "the worker script (default: ${DEFAULT-VALUE})")
        Path script;

        @Option(names = "--force-fallback", description = "use the plain-PyTorch fallback even when transformers and peft import")
        boolean forceFallback;

        @Override
        public Integer call() throws Exception {
            common.run("vs-pytorch", python, script.toAbsolutePath(), forceFallback);
            return 0;
        }
    }

    /** Profiles one row in-process. */
    @Command(name = "profile", mixinStandardHelpOptions = true,
            description = "Profile one row with libtorch's profiler and print self time per operator.")
    static final class Profile implements Callable<Integer> {
        @Option(names = "--row", required = true, description = "the row id")
        String row;

        @Option(names = "--warmup", defaultValue = "2", description = "untimed steps (default: ${DEFAULT-VALUE})")
        int warmup;

        @Option(names = "--timed", defaultValue = "3", description = "steps timed without the profiler (default: ${DEFAULT-VALUE})")
        int timed;

        @Option(names = "--profiled", defaultValue = "1", description = "steps under the profiler (default: ${DEFAULT-VALUE})")
        int profiled;

        @Option(names = "--work", defaultValue = "benchmarks/target/bench-work", description = "work folder (default: ${DEFAULT-VALUE})")
        Path work;

        @Override
        public Integer call() throws Exception {
            RowProfiler.profile(RowRegistry.load().get(row), work.toAbsolutePath(), warmup, timed, profiled, System.out);
            return 0;
        }
    }

    /** Writes a report from the row results a stopped run left behind. */
    @Command(name = "collect", mixinStandardHelpOptions = true,
            description = "Write the report of a run that was stopped early, from the row results in its work folder.")
    static final class Collect implements Callable<Integer> {
        @Option(names = "--mode", required = true, description = "e2e or vs-pytorch")
        String mode;

        @Option(names = "--rows", split = ",", description = "row ids (default: all that have results)")
        List<String> rows = new ArrayList<>();

        @Mixin
        Folders folders;

        @Override
        public Integer call() throws Exception {
            folders.writeReport(BenchmarkRun.collect(mode, RowRegistry.load().select(rows), folders.work()));
            return 0;
        }
    }

    /** The LoRA inference overhead, interleaved in one process. */
    @Command(name = "overhead", mixinStandardHelpOptions = true,
            description = "LoRA inference overhead: base, unmerged and merged steps interleaved on one model in one process; write results/overhead/.")
    static final class Overhead implements Callable<Integer> {
        @Option(names = "--warmup", defaultValue = "2", description = "untimed rounds (default: ${DEFAULT-VALUE})")
        int warmup;

        @Option(names = "--rounds", defaultValue = "12", description = "timed rounds (default: ${DEFAULT-VALUE})")
        int rounds;

        @Mixin
        Folders folders;

        @Override
        public Integer call() throws Exception {
            LoraInferenceOverhead.run(folders.work(), folders.results, warmup, rounds, System.err);
            return 0;
        }
    }

    /** Two or more rows' steps interleaved in one process. */
    @Command(name = "step-compare", mixinStandardHelpOptions = true,
            description = "Run the steps of two or more rows interleaved in one process (e.g. LoRA vs QLoRA); write results/step-compare/.")
    static final class StepCompare implements Callable<Integer> {
        @Option(names = "--rows", split = ",", required = true, description = "row ids; the first is the reference")
        List<String> rows = new ArrayList<>();

        @Option(names = "--warmup", defaultValue = "2", description = "untimed rounds (default: ${DEFAULT-VALUE})")
        int warmup;

        @Option(names = "--rounds", defaultValue = "12", description = "timed rounds (default: ${DEFAULT-VALUE})")
        int rounds;

        @Mixin
        Folders folders;

        @Override
        public Integer call() throws Exception {
            RowRegistry registry = RowRegistry.load();
            List<BenchmarkRow> selected = new ArrayList<>();
            for (String id : rows) {
                selected.add(registry.select(List.of(id)).get(0));
            }
            StepComparison.run(selected, folders.work(), folders.results, warmup, rounds, System.err);
            return 0;
        }
    }

    /** Resident memory over many training steps of one row. */
    @Command(name = "soak", mixinStandardHelpOptions = true,
            description = "Run one training row for many steps in one process, sampling RSS, the Java heap and live NDArrays; "
                    + "judge growth after warm-up; write results/soak/.")
    static final class Soak implements Callable<Integer> {
        @Option(names = "--row", defaultValue = "train-lora-r8-qv", description = "the training row (default: ${DEFAULT-VALUE})")
        String row;

        @Option(names = "--steps", defaultValue = "2000", description = "training steps (default: ${DEFAULT-VALUE})")
        int steps;

        @Option(names = "--batch", defaultValue = "32", description = "sequences per step (default: ${DEFAULT-VALUE})")
        int batch;

        @Option(names = "--seq-len", defaultValue = "128", description = "tokens per sequence (default: ${DEFAULT-VALUE})")
        int seqLen;

        @Option(names = "--sample-every", defaultValue = "50", description = "steps between samples (default: ${DEFAULT-VALUE})")
        int sampleEvery;

        @Option(names = "--threads", description = "intra-op threads (default: all CPUs)")
        int threads = Runtime.getRuntime().availableProcessors();

        @Mixin
        Folders folders;

        @Override
        public Integer call() throws Exception {
            SoakSettings settings = new SoakSettings(row, steps, batch, seqLen, sampleEvery, threads);
            SoakReport r = NativeMemorySoak.run(RowRegistry.load().get(row), settings, folders.work(), System.err);
            Path dir = SoakFiles.write(r, folders.results);
            System.out.println(r.markdown(null));
            System.err.println("wrote " + dir.resolve("latest.json") + ", latest.md and rss.png");
            return 0;
        }
    }

    /** Lists the rows. */
    @Command(name = "rows", mixinStandardHelpOptions = true, description = "List the row ids and titles.")
    static final class Rows implements Callable<Integer> {
        @Override
        public Integer call() {
            for (BenchmarkRow r : RowRegistry.load().all()) {
                System.out.printf(Locale.ROOT, "%-28s %-10s %s%n", r.id(), r.kind(), r.title());
            }
            return 0;
        }
    }
}

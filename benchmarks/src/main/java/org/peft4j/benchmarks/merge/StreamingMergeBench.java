package org.peft4j.benchmarks.merge;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.peft4j.benchmarks.measure.ProcessCounters;
import org.peft4j.core.io.SafetensorsWriter;
import org.peft4j.core.io.TensorDType;
import org.peft4j.merge.checkpoint.CheckpointView;
import org.peft4j.merge.checkpoint.MergeProgressListener;
import org.peft4j.merge.checkpoint.MergedCheckpoint;
import org.peft4j.merge.checkpoint.SafetensorsCheckpoint;
import org.peft4j.merge.checkpoint.StreamingMerger;
import org.peft4j.merge.checkpoint.StreamingReport;
import org.peft4j.merge.checkpoint.TensorSpec;
import org.peft4j.merge.global.TiesOriginal;
import org.peft4j.merge.method.Dare;
import org.peft4j.merge.method.MergeMethod;
import org.peft4j.merge.method.TaskArithmetic;
import org.peft4j.merge.method.TaskVectorMerge;
import org.peft4j.merge.method.Ties;

/**
 * Streaming merge of three float32 checkpoints (a base and two fine-tunes, {@code --gb} GiB each,
 * default 1) against a copy baseline that reads the same tensors from all three files and writes
 * one of them out. Reports wall time, throughput (GiB of input read per second) and peak resident
 * memory ({@code VmHWM} of {@code /proc/self/status}, reset between phases through {@code
 * /proc/self/clear_refs}) side by side. Targets: peak RSS below 1.5 GB, merge throughput at least
 * 40% of the baseline's.
 *
 * <pre>
 * java -Xmx1g -cp ... org.peft4j.benchmarks.merge.StreamingMergeBench [--gb 1] [--tensor-mb 64]
 *      [--methods ta,ties,dare,dare-ties,ties-original] [--density 0.2] [--dir /tmp] [--repeats 3]
 *      [--torch-threads default|N]
 * </pre>
 *
 * The checkpoints are generated in a fresh temporary folder under {@code --dir} and deleted at the
 * end. Every phase runs in its own child JVM (same class path, {@code -Xmx1g}), so one phase's
 * allocator state cannot inflate another's peak; the engine is started before the clock and the
 * peak counter start. Phases alternate (baseline, methods, baseline, ...) {@code --repeats} times
 * and the medians are reported; all read the inputs from the page cache alike. {@code
 * --torch-threads N} starts every phase with {@code -Dai.djl.pytorch.num_threads=N} (libtorch's
 * intra-op threads; the copy baseline runs no libtorch kernels): on a machine shared with other
 * jobs, libtorch's threads wait at each operation's barrier for a peer the scheduler has not run.
 */
public final class StreamingMergeBench {

    private static final int COLS = 4096;

    private StreamingMergeBench() {}

    /**
     * Runs the benchmark (or, with {@code --phase}, one phase in this JVM).
     *
     * @param args see the class description
     * @throws Exception if the temporary files cannot be written or a phase fails
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new LinkedHashMap<>(Map.of(
                "--gb", "1", "--tensor-mb", "64", "--methods", "ta,ties", "--density", "0.2",
                "--dir", System.getProperty("java.io.tmpdir"), "--repeats", "3", "--torch-threads", "default"));
        for (int i = 0; i < args.length; i += 2) {
            if (!opts.containsKey(args[i]) && !args[i].equals("--phase") && !args[i].equals("--files")) {
                throw new IllegalArgumentException("unknown option " + args[i] + " (allowed: " + opts.keySet() + ")");
            }
            opts.put(args[i], i + 1 < args.length ? args[i + 1] : "");
        }
        if (opts.containsKey("--phase")) {
            runPhase(opts.get("--phase"), Double.parseDouble(opts.get("--density")), opts.get("--files"));
            return;
        }
        double gib = Double.parseDouble(opts.get("--gb"));
        int tensorMb = Integer.parseInt(opts.get("--tensor-mb"));
        int repeats = Integer.parseInt(opts.get("--repeats"));
        long rows = (long) tensorMb * 1024 * 1024 / 4 / COLS;
        int tensors = (int) Math.max(1, Math.round(gib * 1024 / tensorMb));
        Path dir = Files.createTempDirectory(Path.of(opts.get("--dir")), "peft4j-merge-bench");
        Thread cleanup = new Thread(() -> deleteQuietly(dir), "delete-bench-files");
        Runtime.getRuntime().addShutdownHook(cleanup); // also on Ctrl-C
        try {
            System.out.printf("generating 3 checkpoints of %d tensors [%d, %d] float32 (%.2f GiB each) in %s%n",
                    tensors, rows, COLS, tensors * rows * COLS * 4 / (double) (1L << 30), dir);
            List<String> files = new ArrayList<>();
            for (int m = 0; m < 3; m++) {
                files.add(generate(dir.resolve("model" + m + ".safetensors"), m, tensors, rows).toString());
            }
            List<String> phases = new ArrayList<>();
            phases.add("copy");
            for (String m : opts.get("--methods").split(",")) {
                phases.add(m.trim());
            }
            Map<String, List<double[]>> results = new LinkedHashMap<>();
            for (int r = 0; r < repeats; r++) {
                for (String phase : phases) {
                    results.computeIfAbsent(phase, k -> new ArrayList<>())
                            .add(child(phase, opts.get("--density"), String.join(",", files),
                                    opts.get("--torch-threads")));
                }
            }
            long inputBytes = 3L * tensors * rows * COLS * 4;
            double baseline = median(results.get("copy"), 0);
            double baselineCpu = median(results.get("copy"), 2);
            System.out.printf("%n%-26s %10s %14s %14s %14s %12s %14s %14s%n", "phase (median of " + repeats + ")", "seconds",
                    "input GiB/s", "peak RSS MiB", "% of baseline", "CPU s", "% of baseline", "minor faults");
            for (Map.Entry<String, List<double[]>> e : results.entrySet()) {
                double sec = median(e.getValue(), 0);
                double peak = max(e.getValue(), 1);
                double cpu = median(e.getValue(), 2);
                System.out.printf("%-26s %10.2f %14.2f %14.0f %13.0f%% %12.2f %13.0f%% %14.0f%n", label(e.getKey(), opts.get("--density")),
                        sec, inputBytes / (double) (1L << 30) / sec, peak / 1024, 100 * baseline / sec, cpu, 100 * baselineCpu / cpu,
                        median(e.getValue(), 3));
            }
            System.out.println("(peak RSS: largest VmHWM over the repeats, whole child JVM; throughput relative to"
                    + " the copy baseline = baseline seconds / phase seconds; CPU s: user + system CPU of the child JVM"
                    + " during the phase, all threads, and baseline CPU / phase CPU)");
        } finally {
            deleteQuietly(dir);
            Runtime.getRuntime().removeShutdownHook(cleanup);
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            System.err.println("could not delete " + dir + ": " + e.getMessage());
        }
    }

    private static String label(String phase, String density) {
        return switch (phase) {
            case "copy" -> "copy baseline";
            case "ta" -> "task arithmetic l=0.5";
            case "ties" -> "ties density " + density;
            case "dare" -> "dare linear density " + density;
            case "dare-ties" -> "dare ties density " + density;
            case "ties-original" -> "ties original density " + density;
            default -> phase;
        };
    }

    private static double median(List<double[]> runs, int field) {
        double[] v = runs.stream().mapToDouble(r -> r[field]).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static double max(List<double[]> runs, int field) {
        return runs.stream().mapToDouble(r -> r[field]).max().orElse(Double.NaN);
    }

    /** Runs one phase in a child JVM; returns {seconds, peak RSS kB, CPU seconds, minor page faults}. */
    private static double[] child(String phase, String density, String files, String torchThreads)
            throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g", "-Xss16m",
                "-Dai.djl.offline=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"));
        if (!torchThreads.equals("default")) {
            Integer.parseInt(torchThreads); // fails early on a typo
            cmd.add("-Dai.djl.pytorch.num_threads=" + torchThreads);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), StreamingMergeBench.class.getName(),
                "--phase", phase, "--density", density, "--files", files));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("phase " + phase + " failed:\n" + out);
        }
        for (String line : out.split("\n")) {
            if (line.startsWith("  (ties-original")) {
                System.out.println(line);
            }
            if (line.startsWith("RESULT ")) {
                String[] f = line.split(" ");
                System.out.printf("  %-8s %8.2f s  CPU %8.2f s  minor faults %9d  peak RSS %6d MiB%n", phase,
                        Double.parseDouble(f[1]), Double.parseDouble(f[3]), Long.parseLong(f[4]), Long.parseLong(f[2]) / 1024);
                return new double[] {Double.parseDouble(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3]), Double.parseDouble(f[4])};
            }
        }
        throw new IllegalStateException("phase " + phase + " printed no result:\n" + out);
    }

    private static void runPhase(String phase, double density, String fileList) throws IOException {
        String[] files = fileList.split(",");
        MergeMethod method = switch (phase) {
            case "copy" -> null;
            case "ta" -> new TaskVectorMerge(TaskArithmetic.of(1, 1), 0.5); // theta_b + 0.5 (tau_1 + tau_2)
            case "ties" -> TaskVectorMerge.of(Ties.of(density, 1, 1));
            case "dare" -> TaskVectorMerge.of(Dare.linear(density, 0, 1, 1));
            case "dare-ties" -> TaskVectorMerge.of(Dare.ties(density, 0, 1, 1));
            case "ties-original" -> null; // its statistics passes need the open checkpoints: prepared in the timed region
            default -> throw new IllegalArgumentException(
                    "unknown phase " + phase + " (allowed: copy, ta, ties, dare, dare-ties, ties-original)");
        };
        boolean original = phase.equals("ties-original");
        // start the engine before the clock and before the peak counter is reset
        try (NDManager warm = NDManager.newBaseManager()) {
            warm.ones(new Shape(4)).sum().getFloat();
        }
        System.gc();
        resetPeakRss();
        ProcessCounters start = ProcessCounters.now();
        Path out = Path.of(files[0]).resolveSibling("out-" + phase + ".safetensors");
        StreamingReport report;
        double prepareSeconds = 0;
        try (SafetensorsCheckpoint base = SafetensorsCheckpoint.open(Path.of(files[0]));
                SafetensorsCheckpoint a = SafetensorsCheckpoint.open(Path.of(files[1]));
                SafetensorsCheckpoint b = SafetensorsCheckpoint.open(Path.of(files[2]))) {
            if (original) {
                // the TIES authors' whole-model trim and majority sign: three statistics passes, then the merge
                long t0 = System.nanoTime();
                try (NDManager manager = NDManager.newBaseManager()) {
                    method = TaskVectorMerge.of(TiesOriginal.prepare(base, List.of(a, b), density, manager));
                }
                prepareSeconds = (System.nanoTime() - t0) / 1e9;
            }
            CheckpointView view = method == null ? new ReadAllWriteFirst(List.of(base, a, b))
                    : MergedCheckpoint.of(base, List.of(a, b), method);
            report = StreamingMerger.builder().listener(MergeProgressListener.silent()).build().write(view, out);
        } finally {
            Files.deleteIfExists(out);
        }
        ProcessCounters used = ProcessCounters.now().since(start);
        if (original) {
            System.out.printf("  (ties-original: statistics passes %.2f s, merge pass %.2f s)%n", prepareSeconds, report.seconds());
        }
        System.out.println("RESULT " + (prepareSeconds + report.seconds()) + " " + peakRssKb() + " " + used.cpuNanos() / 1e9 + " "
                + used.minorFaults());
    }

    /** The copy baseline: loads the tensor from every checkpoint (as a merge does) and returns the first. */
    private static final class ReadAllWriteFirst implements CheckpointView {
        private final List<SafetensorsCheckpoint> sources;

        ReadAllWriteFirst(List<SafetensorsCheckpoint> sources) {
            this.sources = sources;
        }

        @Override
        public List<String> names() {
            return sources.get(0).names();
        }

        @Override
        public boolean contains(String name) {
            return sources.get(0).contains(name);
        }

        @Override
        public TensorSpec spec(String name) {
            return sources.get(0).spec(name);
        }

        @Override
        public NDArray load(String name, NDManager manager) {
            NDArray first = sources.get(0).load(name, manager);
            for (int i = 1; i < sources.size(); i++) {
                sources.get(i).load(name, manager).close();
            }
            return first;
        }
    }

    private static Path generate(Path file, int model, int tensors, long rows) throws IOException {
        SafetensorsWriter.Builder header = SafetensorsWriter.builder().metadata(Map.of("format", "pt"));
        for (int t = 0; t < tensors; t++) {
            header.add("model.layers." + t + ".mlp.weight", TensorDType.F32, rows, COLS);
        }
        ByteBuffer buf = ByteBuffer.allocateDirect((int) (rows * COLS * 4)).order(ByteOrder.LITTLE_ENDIAN);
        try (SafetensorsWriter w = header.open(file)) {
            for (int t = 0; t < tensors; t++) {
                // base: N(0, 0.02); fine-tune m: base + N(0, 0.002) drawn from its own stream
                SplittableRandom baseRandom = new SplittableRandom(t);
                SplittableRandom delta = new SplittableRandom(1000L * model + t);
                FloatBuffer f = buf.clear().asFloatBuffer();
                while (f.hasRemaining()) {
                    float v = (float) (baseRandom.nextGaussian() * 0.02);
                    f.put(model == 0 ? v : v + (float) (delta.nextGaussian() * 0.002));
                }
                w.write("model.layers." + t + ".mlp.weight", buf.clear());
            }
            w.commit();
        }
        return file;
    }

    private static void resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | UnsupportedOperationException e) {
            System.out.println("(cannot reset the peak RSS: " + e.getMessage() + "; peaks are cumulative)");
        }
    }

    private static long peakRssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII)) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}

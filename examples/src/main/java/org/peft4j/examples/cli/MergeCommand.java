package org.peft4j.examples.cli;

import com.google.gson.JsonParser;

import org.peft4j.merge.checkpoint.CheckpointView;
import org.peft4j.merge.checkpoint.MergeProgressListener;
import org.peft4j.merge.checkpoint.SafetensorsCheckpoint;
import org.peft4j.merge.checkpoint.StreamingMerger;
import org.peft4j.merge.checkpoint.StreamingReport;
import org.peft4j.merge.lines.LinesMerge;
import org.peft4j.merge.lines.LinesSchedule;
import org.peft4j.merge.method.Dare;
import org.peft4j.merge.method.LinearAverage;
import org.peft4j.merge.method.MergeMethod;
import org.peft4j.merge.method.Slerp;
import org.peft4j.merge.method.TaskArithmetic;
import org.peft4j.merge.method.TaskVectorCombiner;
import org.peft4j.merge.method.TaskVectorMerge;
import org.peft4j.merge.method.Ties;
import org.peft4j.merge.method.Weights;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/**
 * {@code peft4j merge RECIPE}: merges checkpoints tensor by tensor as a JSON or YAML recipe says.
 *
 * <pre>
 * method: ties               # task_arithmetic | ties | dare_linear | dare_ties | linear | slerp
 * base: base-model/          # a .safetensors file, an index.json or a model folder (not for linear/slerp)
 * models:
 *   - {path: ft-a/, weight: 1.0}
 *   - {path: ft-b/, weight: 0.7}
 * density: 0.5               # ties / dare_*: fraction of each task vector kept, in (0, 1]
 * seed: 42                   # dare_*: the mask seed
 * t: 0.5                     # slerp
 * normalize: true            # linear: divide by the sum of weights
 * lines: {alpha: 0.3, beta: 0.7}   # optional, with task_arithmetic / ties / dare_*: scale per block depth
 * output: merged/model.safetensors
 * </pre>
 */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = {"Merge checkpoints as a JSON or YAML recipe says (task arithmetic, TIES, DARE, linear, SLERP, with",
            "optional LiNeS scaling), streaming tensor by tensor so memory stays at a few tensors; prints progress per tensor."})
public final class MergeCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "RECIPE", description = "recipe file (.json, .yaml or .yml)")
    private Path recipe;

    private static final List<String> METHODS = List.of("task_arithmetic", "ties", "dare_linear", "dare_ties", "linear", "slerp");

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        Map<String, Object> r = read(recipe);
        String method = string(r, "method", true);
        if (!METHODS.contains(method)) {
            throw new Peft4jCli.UsageError(recipe + ": method '" + method + "' is not allowed; allowed values: " + String.join(", ", METHODS));
        }
        Path dir = recipe.toAbsolutePath().getParent();
        Object modelsRaw = r.get("models");
        if (!(modelsRaw instanceof List) || ((List<?>) modelsRaw).isEmpty()) {
            throw new Peft4jCli.UsageError(recipe + ": models must be a non-empty list of {path, weight}");
        }
        List<Path> paths = new ArrayList<>();
        List<Double> weights = new ArrayList<>();
        for (Object m : (List<?>) modelsRaw) {
            if (!(m instanceof Map)) {
                throw new Peft4jCli.UsageError(recipe + ": each entry of models needs path (and optional weight)");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> mm = (Map<String, Object>) m;
            paths.add(dir.resolve(string(mm, "path", true)));
            weights.add(number(mm, "weight", 1.0));
        }
        double[] w = weights.stream().mapToDouble(Double::doubleValue).toArray();
        Path output = dir.resolve(string(r, "output", true));
        MergeMethod mergeMethod = method(method, r, w, paths.size());
        String basePath = string(r, "base", mergeMethod.usesBase());
        List<CheckpointView> inputs = new ArrayList<>();
        CheckpointView base = null;
        try {
            for (Path p : paths) {
                inputs.add(SafetensorsCheckpoint.open(p));
            }
            if (basePath != null) {
                base = SafetensorsCheckpoint.open(dir.resolve(basePath));
            }
            if (r.get("lines") != null) {
                mergeMethod = lines(r, mergeMethod, base != null ? base : inputs.get(0));
            }
            if (output.getParent() != null) {
                Files.createDirectories(output.getParent());
            }
            StreamingMerger merger = StreamingMerger.builder().listener(MergeProgressListener.printing(System.err)).build();
            StreamingReport report = merger.merge(base, inputs, mergeMethod, output);
            System.out.printf(Locale.ROOT, "merged %d tensors (%.1f MB) with %s in %.1f s; wrote %s%n",
                    report.tensors(), report.bytes() / 1e6, method, report.seconds(), report.output());
        } finally {
            for (CheckpointView v : inputs) {
                close(v);
            }
            if (base != null) {
                close(base);
            }
        }
        return 0;
    }

    private static void close(CheckpointView v) {
        if (v instanceof AutoCloseable) {
            try {
                ((AutoCloseable) v).close();
            } catch (Exception e) {
                // closing read-only views cannot lose data
            }
        }
    }

    private MergeMethod method(String method, Map<String, Object> r, double[] w, int count) {
        switch (method) {
            case "linear":
                return new LinearAverage(Weights.of(w), bool(r, "normalize", true));
            case "slerp":
                if (count != 2) {
                    throw new Peft4jCli.UsageError(recipe + ": slerp merges exactly 2 models, got " + count);
                }
                double t = number(r, "t", 0.5);
                if (!(t >= 0 && t <= 1)) {
                    throw new Peft4jCli.UsageError(recipe + ": t must be in [0, 1], got " + t);
                }
                return new Slerp(t);
            default:
                return TaskVectorMerge.of(combiner(method, r, w));
        }
    }

    private TaskVectorCombiner combiner(String method, Map<String, Object> r, double[] w) {
        switch (method) {
            case "task_arithmetic":
                return TaskArithmetic.of(w);
            case "ties":
                return Ties.of(density(r), w);
            case "dare_linear":
                return Dare.linear(density(r), (long) number(r, "seed", 42), w);
            default:
                return Dare.ties(density(r), (long) number(r, "seed", 42), w);
        }
    }

    private MergeMethod lines(Map<String, Object> r, MergeMethod method, CheckpointView keys) {
        if (!(method instanceof TaskVectorMerge)) {
            throw new Peft4jCli.UsageError(recipe + ": lines composes with task_arithmetic, ties and dare_*, not with this method");
        }
        Object raw = r.get("lines");
        if (!(raw instanceof Map)) {
            throw new Peft4jCli.UsageError(recipe + ": lines must be {alpha, beta[, block_pattern]}");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> l = (Map<String, Object>) raw;
        double alpha = number(l, "alpha", Double.NaN);
        double beta = number(l, "beta", 1 - alpha);
        String pattern = string(l, "block_pattern", false);
        Pattern p = pattern == null ? LinesSchedule.DEFAULT_BLOCK_PATTERN : Pattern.compile(pattern);
        int blocks = LinesSchedule.countBlocks(keys.names(), p);
        LinesSchedule schedule = LinesSchedule.multiTask(alpha, beta, blocks).withBlockPattern(p);
        return new LinesMerge(((TaskVectorMerge) method).combiner(), schedule);
    }

    private double density(Map<String, Object> r) {
        double d = number(r, "density", Double.NaN);
        if (!(d > 0 && d <= 1)) {
            throw new Peft4jCli.UsageError(recipe + ": density must be in (0, 1], got " + r.get("density"));
        }
        return d;
    }

    private Map<String, Object> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new java.io.FileNotFoundException(file + ": no such recipe file");
        }
        String text = Files.readString(file);
        Object parsed;
        try {
            if (file.toString().endsWith(".json")) {
                parsed = new com.google.gson.Gson().fromJson(JsonParser.parseString(text), Map.class);
            } else {
                parsed = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
            }
        } catch (RuntimeException e) {
            throw new IOException(file + ": not a valid recipe: " + e.getMessage().replace('\n', ' '), e);
        }
        if (!(parsed instanceof Map)) {
            throw new IOException(file + ": a recipe is a mapping with method, models and output");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) parsed;
        return m;
    }

    private String string(Map<String, Object> m, String key, boolean required) {
        Object v = m.get(key);
        if (v == null) {
            if (required) {
                throw new Peft4jCli.UsageError(recipe + ": '" + key + "' is required");
            }
            return null;
        }
        return v.toString();
    }

    private double number(Map<String, Object> m, String key, double dflt) {
        Object v = m.get(key);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof Number)) {
            throw new Peft4jCli.UsageError(recipe + ": '" + key + "' must be a number, got " + v);
        }
        return ((Number) v).doubleValue();
    }

    private boolean bool(Map<String, Object> m, String key, boolean dflt) {
        Object v = m.get(key);
        return v == null ? dflt : Boolean.parseBoolean(v.toString());
    }
}

package org.peft4j.examples.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;

import com.google.gson.JsonParser;

import org.peft4j.merge.checkpoint.CheckpointView;
import org.peft4j.merge.checkpoint.FineTuneTransfer;
import org.peft4j.merge.checkpoint.MergeProgressListener;
import org.peft4j.merge.checkpoint.PassProgressListener;
import org.peft4j.merge.checkpoint.SafetensorsCheckpoint;
import org.peft4j.merge.checkpoint.StreamingMerger;
import org.peft4j.merge.checkpoint.StreamingReport;
import org.peft4j.merge.checkpoint.TaskVector;
import org.peft4j.merge.global.TiesOriginal;
import org.peft4j.merge.lines.FineTunedKeys;
import org.peft4j.merge.lines.LinesMerge;
import org.peft4j.merge.lines.LinesSchedule;
import org.peft4j.merge.method.Dare;
import org.peft4j.merge.method.Densities;
import org.peft4j.merge.method.LinearAverage;
import org.peft4j.merge.method.MergeMethod;
import org.peft4j.merge.method.Slerp;
import org.peft4j.merge.method.TaskArithmetic;
import org.peft4j.merge.method.TaskVectorCombiner;
import org.peft4j.merge.method.TaskVectorMerge;
import org.peft4j.merge.method.Ties;
import org.peft4j.merge.method.TiesVariant;
import org.peft4j.merge.method.Weights;
import org.peft4j.merge.sparsify.DareRescale;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * {@code peft4j merge RECIPE}: merges checkpoints tensor by tensor as a JSON or YAML recipe says.
 *
 * <pre>
 * method: ties               # task_arithmetic | ties | dare_linear | dare_ties | linear | slerp | transfer
 * base: base-model/          # a .safetensors file, an index.json or a model folder
 * models:
 *   - {path: ft-a/, weight: 1.0, density: 0.7}   # density per model: ties / dare_* only
 *   - {path: ft-b/, weight: 0.7}
 * density: 0.5               # ties / dare_*: fraction of each task vector kept, in (0, 1]
 * variant: peft              # ties: peft | mergekit | original; dare_*: peft | mergekit
 * normalize: true            # with variant mergekit: mergekit's normalize (ties: true, dare_*: false by default)
 * seed: 42                   # dare_*: the mask seed
 * lines: {alpha: auto, keep: ['^classifier\.']}   # optional, with task_arithmetic / ties / dare_*
 * output: merged/model.safetensors
 * </pre>
 *
 * <p>Every key is checked against the keys the chosen method reads: an unknown key, or one the
 * method does not use, is an error naming the key, the file and the allowed keys.
 */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = {"Merge checkpoints as a JSON or YAML recipe says (task arithmetic, TIES, DARE, linear, SLERP, with",
            "optional LiNeS scaling; or fine-tuning transfer of a task vector onto another checkpoint), streaming tensor",
            "by tensor so memory stays at a few tensors; prints progress per tensor."})
public final class MergeCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "RECIPE", description = "recipe file (.json, .yaml or .yml)")
    private Path recipe;

    private static final List<String> METHODS = List.of("task_arithmetic", "ties", "dare_linear", "dare_ties", "linear", "slerp", "transfer");

    /** Top-level keys each method reads. */
    private static final Map<String, List<String>> KEYS = Map.of(
            "task_arithmetic", List.of("method", "base", "models", "normalize", "lambda", "lines", "output"),
            "ties", List.of("method", "base", "models", "density", "variant", "normalize", "lambda", "lines", "output"),
            "dare_linear", List.of("method", "base", "models", "density", "seed", "variant", "normalize", "lambda", "lines", "output"),
            "dare_ties", List.of("method", "base", "models", "density", "seed", "variant", "normalize", "lambda", "lines", "output"),
            "linear", List.of("method", "base", "models", "normalize", "output"),
            "slerp", List.of("method", "base", "models", "t", "output"),
            "transfer", List.of("method", "base", "target", "models", "output"));

    /** Keys of one entry of {@code models}, per method. */
    private static final Map<String, List<String>> MODEL_KEYS = Map.of(
            "task_arithmetic", List.of("path", "weight"),
            "ties", List.of("path", "weight", "density"),
            "dare_linear", List.of("path", "weight", "density"),
            "dare_ties", List.of("path", "weight", "density"),
            "linear", List.of("path", "weight"),
            "slerp", List.of("path"),
            "transfer", List.of("path", "weight"));

    private static final List<String> LINES_KEYS = List.of("alpha", "beta", "block_pattern", "keep");

    /** Consensus rules of {@code ties}; {@code dare_*} take all but {@code original}. */
    private static final List<String> VARIANTS = List.of("peft", "mergekit", "original");

    /** The TIES authors' rule: whole-model trim and majority sign, no per-model weights. */
    private static final String ORIGINAL = "original";

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        Map<String, Object> r = read(recipe);
        String method = string(r, "method", true);
        if (!METHODS.contains(method)) {
            throw new Peft4jCli.UsageError(recipe + ": method '" + method + "' is not allowed; allowed values: " + String.join(", ", METHODS));
        }
        requireKnownKeys(r, "", KEYS.get(method), allKeys(KEYS), "method " + method);
        Path dir = recipe.toAbsolutePath().getParent();
        Object modelsRaw = r.get("models");
        if (!(modelsRaw instanceof List) || ((List<?>) modelsRaw).isEmpty()) {
            throw new Peft4jCli.UsageError(recipe + ": models must be a non-empty list of {" + String.join(", ", MODEL_KEYS.get(method)) + "}");
        }
        List<?> entries = (List<?>) modelsRaw;
        List<Path> paths = new ArrayList<>();
        double[] weights = new double[entries.size()];
        double[] densities = new double[entries.size()]; // NaN: the entry gives none
        String variant = variant(r, method);
        if (!method.equals("task_arithmetic") && !method.equals("linear") && r.containsKey("normalize") && !"mergekit".equals(variant)) {
            throw new Peft4jCli.UsageError(recipe + ": 'normalize' is mergekit's option and needs 'variant: mergekit' with method " + method
                    + "; variant " + variant + " has no such choice");
        }
        for (int i = 0; i < entries.size(); i++) {
            String where = "models[" + i + "]";
            if (!(entries.get(i) instanceof Map)) {
                throw new Peft4jCli.UsageError(recipe + ": " + where + " must be a mapping {" + String.join(", ", MODEL_KEYS.get(method)) + "}, got "
                        + entries.get(i));
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> entry = (Map<String, Object>) entries.get(i);
            requireKnownKeys(entry, where + ".", MODEL_KEYS.get(method), allKeys(MODEL_KEYS), "method " + method);
            if (ORIGINAL.equals(variant) && entry.containsKey("weight")) {
                throw new Peft4jCli.UsageError(recipe + ": " + where + ".weight is not allowed with variant original: the original TIES"
                        + " averages the agreeing entries unweighted (scale the result with 'lambda', or use variant peft or mergekit)");
            }
            paths.add(dir.resolve(string(entry, "path", true, where + ".path")));
            weights[i] = number(entry, "weight", 1.0, where + ".weight");
            densities[i] = number(entry, "density", Double.NaN, where + ".density");
        }
        Path output = dir.resolve(string(r, "output", true));
        String basePath = string(r, "base", false);
        if (method.equals("transfer")) {
            return transfer(r, dir, paths, weights[0], basePath, output);
        }

        // which checkpoint is the base (the t = 0 end for slerp) and which are the inputs
        Path baseFile = basePath == null ? null : dir.resolve(basePath);
        List<Path> inputFiles = paths;
        if (method.equals("slerp")) {
            if (baseFile != null && paths.size() == 1) {
                inputFiles = paths;
            } else if (baseFile == null && paths.size() == 2) {
                baseFile = paths.get(0);
                inputFiles = paths.subList(1, 2);
            } else {
                throw new Peft4jCli.UsageError(recipe + ": slerp takes either 'base' and exactly 1 entry in 'models', or no 'base' and exactly 2"
                        + " entries in 'models' (the first is the t = 0 end); got " + (baseFile == null ? "no base" : "a base") + " and "
                        + paths.size() + " models");
            }
        } else if (baseFile == null && !method.equals("linear")) {
            throw new Peft4jCli.UsageError(recipe + ": 'base' is required for method " + method + " (task vectors are models minus the base)");
        }

        TaskVectorCombiner combiner = null;
        MergeMethod mergeMethod = null; // for variant original: built once the checkpoints are open
        Densities originalDensities = null;
        double lambda = number(r, "lambda", 1.0, "lambda");
        if (!Double.isFinite(lambda)) {
            throw new Peft4jCli.UsageError(recipe + ": lambda must be a finite number, got " + lambda);
        }
        try {
            switch (method) {
                case "linear":
                    mergeMethod = new LinearAverage(Weights.of(weights), bool(r, "normalize", true));
                    break;
                case "slerp":
                    double t = number(r, "t", 0.5, "t");
                    if (!(t >= 0 && t <= 1)) {
                        throw new Peft4jCli.UsageError(recipe + ": t must be in [0, 1], got " + t);
                    }
                    mergeMethod = new Slerp(t);
                    break;
                default:
                    if (ORIGINAL.equals(variant)) {
                        originalDensities = densities(r, densities, method);
                        break;
                    }
                    combiner = combiner(method, variant, r, weights, densities);
                    mergeMethod = new TaskVectorMerge(combiner, lambda);
                    break;
            }
        } catch (IllegalArgumentException e) {
            throw new Peft4jCli.UsageError(recipe + ": " + Peft4jCli.oneLine(e));
        }
        if (r.get("lines") != null && r.get("lambda") != null) {
            throw new Peft4jCli.UsageError(recipe + ": 'lambda' and 'lines' do not go together: LiNeS sets the scale of the merged task vector"
                    + " per block (lines.alpha, lines.beta)");
        }
        FineTunedKeys keep = r.get("lines") != null ? keep(linesBlock(r)) : FineTunedKeys.none();

        List<CheckpointView> inputs = new ArrayList<>();
        CheckpointView base = null;
        try {
            for (Path p : inputFiles) {
                inputs.add(SafetensorsCheckpoint.open(p));
            }
            if (baseFile != null) {
                base = SafetensorsCheckpoint.open(baseFile);
            }
            // the LiNeS settings are checked before any pass over the checkpoints, so a typo costs no I/O
            LinesLayout layout = r.get("lines") != null ? linesLayout(r, base) : null;
            if (originalDensities != null) {
                combiner = prepareOriginal(base, inputs, originalDensities, keep);
                mergeMethod = new TaskVectorMerge(combiner, lambda);
            }
            if (layout != null) {
                mergeMethod = lines(r, layout, combiner, keep, base, inputs);
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
                v.close();
            }
            if (base != null) {
                base.close();
            }
        }
        return 0;
    }

    private TaskVectorCombiner combiner(String method, String variant, Map<String, Object> r, double[] w, double[] perModel) {
        boolean mergekit = "mergekit".equals(variant);
        if (method.equals("task_arithmetic")) {
            return new TaskArithmetic(Weights.of(w), bool(r, "normalize", false));
        }
        Densities densities = densities(r, perModel, method);
        // mergekit's normalize defaults: true for ties, false for dare_linear and dare_ties
        boolean normalize = mergekit && bool(r, "normalize", method.equals("ties"));
        TiesVariant consensus = normalize ? TiesVariant.MERGEKIT : TiesVariant.MERGEKIT_UNNORMALIZED;
        switch (method) {
            case "ties":
                Ties ties = Ties.of(densities, w);
                return mergekit ? ties.withVariant(consensus) : ties;
            case "dare_linear":
                long linearSeed = seed(r);
                if (normalize) {
                    // without a consensus step mergekit divides the weighted sum by sum_i w_i (a sum under 1e-8 in
                    // magnitude by 1), which is the same as normalising the weights
                    w = normalizedWeights(w);
                }
                Dare linear = Dare.linear(densities, linearSeed, w);
                return mergekit ? linear.withRescale(DareRescale.L1_NORM) : linear;
            case "dare_ties":
                Dare dare = Dare.ties(densities, seed(r), w);
                return mergekit ? dare.withRescale(DareRescale.L1_NORM).withVariant(consensus) : dare;
            default:
                throw new IllegalStateException("no combiner for " + method);
        }
    }

    // fine-tuning transfer: target + weight * (model - base), tensor by tensor
    private int transfer(Map<String, Object> r, Path dir, List<Path> paths, double weight, String basePath, Path output) throws IOException {
        if (basePath == null) {
            throw new Peft4jCli.UsageError(recipe + ": 'base' is required for method transfer (the checkpoint the fine-tune in 'models' started from)");
        }
        Path targetFile = dir.resolve(string(r, "target", true));
        if (paths.size() != 1) {
            throw new Peft4jCli.UsageError(recipe + ": method transfer takes exactly 1 entry in 'models' (the fine-tune whose task vector is applied"
                    + " to 'target'), got " + paths.size());
        }
        if (!Double.isFinite(weight)) {
            throw new Peft4jCli.UsageError(recipe + ": models[0].weight must be a finite number, got " + weight);
        }
        try (CheckpointView finetuned = SafetensorsCheckpoint.open(paths.get(0));
                CheckpointView base = SafetensorsCheckpoint.open(dir.resolve(basePath));
                CheckpointView target = SafetensorsCheckpoint.open(targetFile)) {
            TaskVector tau = TaskVector.between(finetuned, base);
            FineTuneTransfer moved = FineTuneTransfer.apply(tau, target, weight);
            if (!tau.excludedKeys().isEmpty()) {
                System.out.println("not transferred (absent from the base, or not floating): " + String.join(", ", tau.excludedKeys()));
            }
            if (output.getParent() != null) {
                Files.createDirectories(output.getParent());
            }
            StreamingMerger writer = StreamingMerger.builder().listener(MergeProgressListener.printing(System.err)).build();
            StreamingReport report = writer.write(moved, output);
            System.out.printf(Locale.ROOT, "transferred the task vector of %d tensors onto %s (%d tensors, %.1f MB) in %.1f s; wrote %s%n",
                    tau.names().size(), targetFile, report.tensors(), report.bytes() / 1e6, report.seconds(), report.output());
        }
        return 0;
    }

    // w_i / sum_j w_j, or w unchanged where |sum_j w_j| < 1e-8 (mergekit's divisor rule)
    private static double[] normalizedWeights(double[] w) {
        double sum = 0;
        for (double x : w) {
            sum += x;
        }
        if (Math.abs(sum) < 1e-8) {
            return w;
        }
        double[] out = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            out[i] = w[i] / sum;
        }
        return out;
    }

    // the top-level density, or one per model where an entry gives its own (the others fall back to the top-level one)
    private Densities densities(Map<String, Object> r, double[] perModel, String method) {
        boolean hasTop = r.get("density") != null;
        double top = hasTop ? requireDensity(number(r, "density", Double.NaN, "density"), "density") : Double.NaN;
        boolean anyPerModel = false;
        double[] values = new double[perModel.length];
        for (int i = 0; i < perModel.length; i++) {
            if (Double.isNaN(perModel[i])) {
                if (!hasTop) {
                    throw new Peft4jCli.UsageError(recipe + ": method " + method + " needs a density: give 'density' (for every model) or 'models["
                            + i + "].density'; allowed values: (0, 1]");
                }
                values[i] = top;
            } else {
                values[i] = requireDensity(perModel[i], "models[" + i + "].density");
                anyPerModel = true;
            }
        }
        return anyPerModel ? Densities.perInput(values) : Densities.uniform(top);
    }

    private double requireDensity(double d, String field) {
        if (!(d > 0 && d <= 1)) {
            throw new Peft4jCli.UsageError(recipe + ": " + field + " must be in (0, 1] (fraction of each task vector kept), got " + d);
        }
        return d;
    }

    private long seed(Map<String, Object> r) {
        double s = number(r, "seed", 42, "seed");
        if (s != Math.rint(s) || Math.abs(s) > 0x1p53) {
            throw new Peft4jCli.UsageError(recipe + ": seed must be an integer, got " + r.get("seed"));
        }
        return (long) s;
    }

    // peft (the default), mergekit, or original (ties only); the key itself is checked against the method's keys earlier
    private String variant(Map<String, Object> r, String method) {
        String v = string(r, "variant", false);
        if (v == null) {
            return "peft";
        }
        List<String> allowed = method.equals("ties") ? VARIANTS : VARIANTS.subList(0, 2);
        if (!allowed.contains(v)) {
            throw new Peft4jCli.UsageError(recipe + ": variant '" + v + "' is not allowed" + (VARIANTS.contains(v) ? " with method " + method : "")
                    + "; allowed values: " + String.join(", ", allowed));
        }
        return v;
    }

    // TIES as its authors' code runs it: three streaming passes for the whole-model thresholds and majority sign
    private TaskVectorCombiner prepareOriginal(CheckpointView base, List<CheckpointView> inputs, Densities densities, FineTunedKeys keep) {
        TiesOriginal ties;
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            ties = TiesOriginal.prepare(base, inputs, densities, key -> !keep.matches(key), PassProgressListener.printing(System.err), manager);
        }
        StringBuilder thresholds = new StringBuilder();
        for (int t = 0; t < ties.tasks(); t++) {
            thresholds.append(t == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.6g", ties.threshold(t)));
        }
        System.out.printf(Locale.ROOT, "TIES (original): %d entries per task vector, trim thresholds |tau| >= [%s], majority sign %+d%n",
                ties.taskVectorLength(), thresholds, ties.majoritySign());
        return ties;
    }

    // the lines mapping, its keys checked
    private Map<String, Object> linesBlock(Map<String, Object> r) {
        Object raw = r.get("lines");
        if (!(raw instanceof Map)) {
            throw new Peft4jCli.UsageError(recipe + ": lines must be a mapping {" + String.join(", ", LINES_KEYS) + "}, got " + raw);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> l = (Map<String, Object>) raw;
        requireKnownKeys(l, "lines.", LINES_KEYS, Set.copyOf(LINES_KEYS), "lines");
        Object alphaRaw = l.get("alpha");
        if (alphaRaw == null) {
            throw new Peft4jCli.UsageError(recipe + ": lines.alpha is required; allowed values: a number, or auto (the multi-task alpha of the"
                    + " merged task vector)");
        }
        if (!"auto".equals(alphaRaw) && (!(alphaRaw instanceof Number) || !Double.isFinite(((Number) alphaRaw).doubleValue()))) {
            throw new Peft4jCli.UsageError(recipe + ": lines.alpha must be a finite number or auto, got " + alphaRaw);
        }
        return l;
    }

    // lines.keep: regexes of keys taken from the first model as fine-tuned (a head the base carries)
    private FineTunedKeys keep(Map<String, Object> l) {
        Object raw = l.get("keep");
        if (raw == null) {
            return FineTunedKeys.none();
        }
        if (!(raw instanceof List)) {
            throw new Peft4jCli.UsageError(recipe + ": lines.keep must be a list of regular expressions (keys kept as fine-tuned), got " + raw);
        }
        List<?> items = (List<?>) raw;
        List<Pattern> patterns = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            if (!(items.get(i) instanceof String)) {
                throw new Peft4jCli.UsageError(recipe + ": lines.keep[" + i + "] must be a regular expression string, got " + items.get(i));
            }
            String regex = (String) items.get(i);
            try {
                patterns.addAll(FineTunedKeys.of(regex).patterns());
            } catch (IllegalArgumentException e) {
                String why = e.getCause() instanceof PatternSyntaxException syntax ? syntax.getDescription() : Peft4jCli.oneLine(e);
                throw new Peft4jCli.UsageError(recipe + ": lines.keep[" + i + "] '" + regex + "' is not a valid regular expression: " + why);
            }
        }
        return new FineTunedKeys(patterns);
    }

    /** LiNeS' block pattern and the number of blocks it finds in the base. */
    private record LinesLayout(Pattern pattern, int blocks) {}

    // only reached for task_arithmetic, ties and dare_* (the other methods do not accept the key), which need a base;
    // checks everything about lines that needs no pass over the tensors
    private LinesLayout linesLayout(Map<String, Object> r, CheckpointView base) {
        Map<String, Object> l = linesBlock(r);
        String patternText = string(l, "block_pattern", false, "lines.block_pattern");
        Pattern pattern;
        try {
            pattern = patternText == null ? LinesSchedule.DEFAULT_BLOCK_PATTERN : Pattern.compile(patternText);
        } catch (PatternSyntaxException e) {
            throw new Peft4jCli.UsageError(recipe + ": lines.block_pattern is not a valid regular expression: " + Peft4jCli.oneLine(e));
        }
        if (pattern.matcher("").groupCount() < 1) {
            throw new Peft4jCli.UsageError(recipe + ": lines.block_pattern must capture the 0-based block index in group 1, got " + patternText);
        }
        int blocks = LinesSchedule.countBlocks(base.names(), pattern);
        if (blocks < 2) {
            throw new Peft4jCli.UsageError(recipe + ": lines needs at least 2 blocks, but lines.block_pattern " + pattern + " finds " + blocks
                    + " in the base's keys");
        }
        Object alphaRaw = l.get("alpha"); // present and valid: checked by linesBlock
        if (!"auto".equals(alphaRaw)) {
            beta(l, ((Number) alphaRaw).doubleValue());
        }
        return new LinesLayout(pattern, blocks);
    }

    private MergeMethod lines(Map<String, Object> r, LinesLayout layout, TaskVectorCombiner combiner, FineTunedKeys keep, CheckpointView base,
            List<CheckpointView> inputs) {
        Map<String, Object> l = linesBlock(r);
        Pattern pattern = layout.pattern();
        int blocks = layout.blocks();
        Object alphaRaw = l.get("alpha");
        boolean auto = "auto".equals(alphaRaw);
        double alpha;
        if (auto) {
            try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
                alpha = LinesMerge.multiTaskAlpha(base, inputs, combiner, keep, manager);
            }
        } else {
            alpha = ((Number) alphaRaw).doubleValue();
        }
        double beta = beta(l, alpha);
        System.out.printf(Locale.ROOT, "LiNeS: alpha %.6f%s, beta %.6f, %d blocks%s%n", alpha,
                auto ? " (auto: multi-task alpha of the merged task vector)" : "", beta, blocks,
                keep.isEmpty() ? "" : ", keys kept as fine-tuned: " + keep.patterns());
        return new LinesMerge(combiner, new LinesSchedule(alpha, beta, blocks, pattern), keep);
    }

    private double beta(Map<String, Object> l, double alpha) {
        double beta = number(l, "beta", 1 - alpha, "lines.beta");
        if (!(beta >= 0) || !Double.isFinite(beta)) {
            throw new Peft4jCli.UsageError(recipe + ": lines.beta must be finite and >= 0, got " + beta
                    + (l.get("beta") == null ? " (the default 1 - alpha); give lines.beta" : ""));
        }
        return beta;
    }

    private static Set<String> allKeys(Map<String, List<String>> perMethod) {
        Set<String> all = new LinkedHashSet<>();
        perMethod.values().forEach(all::addAll);
        return all;
    }

    /**
     * Rejects a key that is unknown, or known but not read by this method.
     *
     * @param prefix where the mapping sits ({@code ""}, {@code models[1].}, {@code lines.})
     */
    private void requireKnownKeys(Map<String, Object> m, String prefix, List<String> allowed, Set<String> known, String what) {
        for (Object key : m.keySet()) {
            String k = String.valueOf(key);
            if (!allowed.contains(k)) {
                String problem = known.contains(k) ? "key '" + prefix + k + "' is not used by " + what : "unknown key '" + prefix + k + "'";
                throw new Peft4jCli.UsageError(recipe + ": " + problem + "; allowed keys" + (prefix.isEmpty() || prefix.startsWith("models")
                        ? " for " + what : "") + ": " + String.join(", ", allowed));
            }
        }
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
        return string(m, key, required, key);
    }

    private String string(Map<String, Object> m, String key, boolean required, String field) {
        Object v = m.get(key);
        if (v == null) {
            if (required) {
                throw new Peft4jCli.UsageError(recipe + ": '" + field + "' is required");
            }
            return null;
        }
        return v.toString();
    }

    private double number(Map<String, Object> m, String key, double dflt, String field) {
        Object v = m.get(key);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof Number)) {
            throw new Peft4jCli.UsageError(recipe + ": '" + field + "' must be a number, got " + v);
        }
        return ((Number) v).doubleValue();
    }

    private boolean bool(Map<String, Object> m, String key, boolean dflt) {
        Object v = m.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Boolean) {
            return (Boolean) v;
        }
        throw new Peft4jCli.UsageError(recipe + ": '" + key + "' must be true or false, got " + v);
    }
}

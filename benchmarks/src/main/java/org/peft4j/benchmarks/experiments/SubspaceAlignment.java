package org.peft4j.benchmarks.experiments;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import org.peft4j.benchmarks.methods.LoraSbInitTiming;
import org.peft4j.core.io.AtomicFiles;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.examples.data.BundledData;
import org.peft4j.examples.data.LabelledTextSet;
import org.peft4j.examples.data.Splits;
import org.peft4j.examples.quickstart.MeanPoolingClassifier;
import org.peft4j.examples.train.BatchEncoder;
import org.peft4j.lora.linalg.Svd;
import org.peft4j.lora.linalg.SvdResult;
import org.peft4j.lora.sb.LoraSbConfig;
import org.peft4j.lora.sb.UpdateEstimate;
import org.peft4j.lora.sb.UpdateEstimator;
import org.peft4j.models.bert.BertModel;
import org.peft4j.models.pretrained.PretrainedModels;
import org.peft4j.models.tokenize.TextTokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The mechanism LoRA-SB rests on, measured on all-MiniLM-L6-v2 and the bundled SpamAssassin corpus
 * (methods-spec.md §7, item 1, "sanity"): with orthonormal frozen factors B (out x r) and A (r x in),
 * training R moves W along {@code B Bᵀ g Aᵀ A}, the projection of the full-weight gradient g onto the
 * adapter's subspace. LoRA-SB takes B, A from the first full fine-tuning update estimated on a few
 * training samples; LoRA-XS takes them from the SVD of W. The better the subspace, the larger the share
 * of g it keeps: {@code cos(g, P g) = ‖P g‖ / ‖g‖} for an orthogonal projection P.
 *
 * <p>For each seed, exactly as {@code MethodsMiniature} sets up its runs (the seed's stratified training
 * sample, a fresh classification head from the seed, LoRA-SB's estimate from 64 shuffled samples of the
 * training sample with {@code η_eff = lr / warm-up steps}), this measures the full gradient of every one
 * of the 36 block linears on the 48 held-out validation e-mails (no dropout), and reports the mean, minimum
 * and maximum of {@code ‖P g‖ / ‖g‖} over the 36 matrices for the SB subspace, the XS subspace (top r
 * singular vectors of W) and, for scale, a random r-dimensional subspace (expected value
 * {@code sqrt(r²/(out·in))}).
 *
 * <pre>
 * java -Xss16m -cp ... org.peft4j.benchmarks.experiments.SubspaceAlignment [out=benchmarks/target/subspace-alignment.md]
 *     [train=256] [seeds=1,2,3] [r=16] [lr=3e-3] [warmup=2] [batch=8] [maxLength=48]
 * </pre>
 */
public final class SubspaceAlignment {

    private static final int VALIDATION_SIZE = 48;

    private SubspaceAlignment() {}

    /**
     * Measures and writes the table.
     *
     * @param args {@code key=value} settings, see the class documentation
     * @throws IOException if the data, the model or the report cannot be read or written
     */
    public static void main(String[] args) throws IOException {
        Map<String, String> a = new LinkedHashMap<>();
        List<String> keys = List.of("out", "train", "seeds", "r", "lr", "warmup", "batch", "maxLength");
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 0 || !keys.contains(arg.substring(0, eq))) {
                throw new IllegalArgumentException("argument '" + arg + "': expected key=value with key one of " + keys);
            }
            a.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        Path out = Path.of(a.getOrDefault("out", "benchmarks/target/subspace-alignment.md"));
        int trainSize = Integer.parseInt(a.getOrDefault("train", "256"));
        long[] seeds = java.util.Arrays.stream(a.getOrDefault("seeds", "1,2,3").split(",")).mapToLong(Long::parseLong).toArray();
        int r = Integer.parseInt(a.getOrDefault("r", "16"));
        double lr = Double.parseDouble(a.getOrDefault("lr", "3e-3"));
        int warmup = Integer.parseInt(a.getOrDefault("warmup", "2"));
        int batchSize = Integer.parseInt(a.getOrDefault("batch", "8"));
        int maxLength = Integer.parseInt(a.getOrDefault("maxLength", "48"));
        String loadBefore = LoraSbInitTiming.loadavg();
        long t0 = System.nanoTime();

        Splits splits = BundledData.spamAssassin().stratifiedSplit(0.7, 0.1, 42);
        LabelledTextSet validation = splits.validation().stratifiedSample(VALIDATION_SIZE, 42);
        StringBuilder table = new StringBuilder();
        table.append("| seed | subspace | mean ‖Pg‖/‖g‖ | min | max | query, key, value | attention output | intermediate | output |\n")
                .append("|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
        List<double[]> means = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager();
                TextTokenizer tokenizer = PretrainedModels.miniLmL6V2Tokenizer(maxLength, TextTokenizer.Padding.LONGEST)) {
            BertModel bert = PretrainedModels.miniLmL6V2Encoder(manager);
            BatchEncoder encoder = (texts, m) -> tokenizer.encode(texts, m).toNDList();
            for (long seed : seeds) {
                LabelledTextSet train = splits.train().stratifiedSample(trainSize, seed);
                Engine.getInstance().setRandomSeed((int) seed);
                MeanPoolingClassifier model = new MeanPoolingClassifier(bert, train.labels().size(), manager);
                LoraSbConfig config = LoraSbConfig.builder().r(r).targetModules(LoraSbInitTiming.ALL_BLOCK_LINEARS).numSamples(64)
                        .estimationSchedule(lr, warmup).build();
                List<Batch> batches = MethodsMiniature.estimationBatches(train, seed, batchSize, encoder, manager);
                Map<String, double[]> rows = new LinkedHashMap<>();
                try (UpdateEstimate estimate = UpdateEstimator.estimate(model, config, batches.iterator(), Loss.softmaxCrossEntropyLoss(), null);
                        NDManager scratch = manager.newSubManager()) {
                    Map<String, Parameter> params = BlockPaths.parameters(model);
                    params.values().forEach(p -> p.freeze(true));
                    estimate.paths().forEach(p -> params.get(p + ".weight").freeze(false));
                    try (Batch b = MethodsMiniature.batch(validation.items(), validation, encoder, manager.newSubManager());
                            GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDList logits = model.forward(new ParameterStore(b.getManager(), false), b.getData(), false);
                        gc.backward(Loss.softmaxCrossEntropyLoss().evaluate(b.getLabels(), logits));
                    }
                    for (String path : estimate.paths()) {
                        Parameter w = params.get(path + ".weight");
                        NDArray g = w.getArray().getGradient().duplicate();
                        g.attach(scratch);
                        UpdateEstimate.LayerUpdate sb = estimate.layer(path);
                        double gNorm = g.norm().getFloat();
                        double sbShare = projectedNorm(g, sb.u(), sb.vt(), scratch) / gNorm;
                        double xsShare;
                        try (SvdResult svd = Svd.truncated(r).decompose(w.getArray(), scratch)) {
                            xsShare = projectedNorm(g, svd.u(), svd.vt(), scratch) / gNorm;
                        }
                        long outDim = w.getArray().getShape().get(0);
                        long inDim = w.getArray().getShape().get(1);
                        double random = Math.sqrt((double) r * r / ((double) outDim * inDim));
                        rows.put(path, new double[] {sbShare, xsShare, random});
                    }
                    params.values().forEach(p -> p.freeze(true));
                }
                String[] names = {"LoRA-SB (estimated ΔW)", "LoRA-XS (SVD of W)", "random (expected)"};
                for (int k = 0; k < 3; k++) {
                    final int col = k;
                    double[] all = rows.values().stream().mapToDouble(v -> v[col]).toArray();
                    double mean = java.util.Arrays.stream(all).average().orElse(Double.NaN);
                    if (k < 2) {
                        means.add(new double[] {seed, k, mean});
                    }
                    table.append(String.format(Locale.ROOT, "| %d | %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |%n", seed, names[k], mean,
                            java.util.Arrays.stream(all).min().orElse(Double.NaN), java.util.Arrays.stream(all).max().orElse(Double.NaN),
                            groupMean(rows, col, "self.query", "self.key", "self.value"), groupMean(rows, col, "attention.output.dense"),
                            groupMean(rows, col, "intermediate.dense"), groupMean(rows, col, "layer.\\d+\\.output\\.dense")));
                }
                System.out.printf(Locale.ROOT, "seed %d: SB %.3f XS %.3f (load %s)%n", seed, means.get(means.size() - 2)[2], means.get(means.size() - 1)[2],
                        LoraSbInitTiming.loadavg());
            }
        }
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "Generated %s by `org.peft4j.benchmarks.experiments.SubspaceAlignment` in %.1f minutes (load average %s before, %s after).%n%n",
                java.time.LocalDate.now(), (System.nanoTime() - t0) / 60e9, loadBefore, LoraSbInitTiming.loadavg()));
        b.append(String.format(Locale.ROOT, "Settings: %d training e-mails, r = %d, LoRA-SB estimate from 64 samples with lr %.0e over %d warm-up steps; "
                + "gradient on the %d validation e-mails, no dropout; share of the full gradient kept by the subspace, ‖B Bᵀ g Aᵀ A‖ / ‖g‖, over the "
                + "36 block linears (columns on the right: mean per kind of layer).%n%n", trainSize, r, lr, warmup, VALIDATION_SIZE));
        b.append(table);
        System.out.println();
        System.out.println(b);
        if (out.getParent() != null) {
            java.nio.file.Files.createDirectories(out.getParent());
        }
        AtomicFiles.writeString(out, b.toString());
        System.out.println("wrote " + out);
    }

    /** ‖U Uᵀ g V Vᵀ‖ with U (out x r) and Vᵀ (r x in) orthonormal, i.e. ‖Uᵀ g V‖. */
    private static double projectedNorm(NDArray g, NDArray u, NDArray vt, NDManager scratch) {
        try (NDManager m = scratch.newSubManager()) {
            NDArray uu = u.duplicate();
            uu.attach(m);
            NDArray core = uu.transpose().matMul(g).matMul(vt.transpose());
            core.attach(m);
            return core.norm().getFloat();
        }
    }

    private static double groupMean(Map<String, double[]> rows, int col, String... patterns) {
        return rows.entrySet().stream().filter(e -> {
            for (String p : patterns) {
                if (java.util.regex.Pattern.compile(p).matcher(e.getKey()).find()) {
                    return true;
                }
            }
            return false;
        }).mapToDouble(e -> e.getValue()[col]).average().orElse(Double.NaN);
    }
}

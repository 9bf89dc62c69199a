package org.peft4j.examples.quickstart;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import org.peft4j.core.PeftModel;
import org.peft4j.core.TrainableSummary;
import org.peft4j.core.io.AtomicFiles;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.examples.data.BundledData;
import org.peft4j.examples.data.LabelledTextSet;
import org.peft4j.examples.data.Splits;
import org.peft4j.examples.train.BatchEncoder;
import org.peft4j.examples.train.ClassificationMetrics;
import org.peft4j.examples.train.FineTuner;
import org.peft4j.examples.train.TrainingHistory;
import org.peft4j.examples.train.TrainingPlot;
import org.peft4j.models.bert.BertModel;
import org.peft4j.models.checkpoint.HfCheckpoints;
import org.peft4j.models.pretrained.PretrainedModels;
import org.peft4j.models.tokenize.TextTokenizer;
import org.peft4j.quant.nn.ModelQuantizer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The quickstart: fine-tunes all-MiniLM-L6-v2 (from its Maven Central jar) for text classification,
 * first training only a new head (the baseline), then an adapter plus the head from the same
 * starting point, and reports both on the test split. Writes the adapter (PEFT format), the merged
 * model (HF layout), {@code metrics.json} and {@code training.png} into the output folder.
 */
public final class Quickstart {

    /** The methods {@code --method} accepts. */
    public static final List<String> METHODS = AdapterRecipes.names();

    /** Epochs of the head-only baseline: cheap on cached features, and a fair, converged baseline. */
    static final int HEAD_EPOCHS = 10;

    /** Validation examples used for the training curves. */
    static final int CURVE_EXAMPLES = 256;

    private final QuickstartOptions o;
    private final PrintStream out;

    /**
     * Creates a run.
     *
     * @param options the settings
     * @param out where the progress and the table go
     */
    public Quickstart(QuickstartOptions options, PrintStream out) {
        this.o = options;
        this.out = out;
    }

    /**
     * Checks the options and the data before anything is written.
     *
     * @return the train / validation / test splits
     * @throws IOException if the data file is malformed (the message names the file and line)
     */
    public Splits prepareData() throws IOException {
        AdapterRecipes.of(o.method());
        LabelledTextSet all = o.data() == null ? BundledData.spamAssassin() : LabelledTextSet.load(o.data(), o.labels());
        if (all.labels().size() < 2) {
            throw new IllegalArgumentException((o.data() == null ? "data" : o.data().toString()) + ": needs at least 2 labels, found " + all.labels());
        }
        if (!all.labels().contains(o.positiveLabel())) {
            throw new IllegalArgumentException("--positive-label: '" + o.positiveLabel() + "' is not a label of the data; labels: " + all.labels());
        }
        Splits s;
        boolean hasSplits = all.items().stream().allMatch(t -> t.split() != null);
        if (hasSplits) {
            s = new Splits(all.split("train"), all.split("validation"), all.split("test"));
        } else {
            s = all.stratifiedSplit(0.7, 0.1, o.seed());
        }
        LabelledTextSet train = o.trainLimit() > 0 && o.trainLimit() < s.train().size() ? s.train().stratifiedSample(o.trainLimit(), o.seed()) : s.train();
        LabelledTextSet val = o.evalLimit() > 0 && o.evalLimit() < s.validation().size() ? s.validation().stratifiedSample(o.evalLimit(), o.seed()) : s.validation();
        LabelledTextSet test = o.evalLimit() > 0 && o.evalLimit() < s.test().size() ? s.test().stratifiedSample(o.evalLimit(), o.seed()) : s.test();
        return new Splits(train, val, test);
    }

    /**
     * Runs the whole quickstart.
     *
     * @return the measurements
     * @throws IOException if data or output files fail
     */
    public QuickstartResult run() throws IOException {
        long t0 = System.nanoTime();
        Splits data = prepareData();
        Files.createDirectories(o.output());
        Engine.getInstance().setRandomSeed((int) o.seed());
        out.printf(Locale.ROOT, "data: %d train, %d validation, %d test examples; labels %s%n",
                data.train().size(), data.validation().size(), data.test().size(), data.train().labels());
        try (NDManager manager = NDManager.newBaseManager();
                TextTokenizer tokenizer = PretrainedModels.miniLmL6V2Tokenizer(o.maxLength(), TextTokenizer.Padding.LONGEST)) {
            BertModel bert = PretrainedModels.miniLmL6V2Encoder(manager);
            MeanPoolingClassifier model = new MeanPoolingClassifier(bert, data.train().labels().size(), manager);
            BatchEncoder encoder = (texts, m) -> tokenizer.encode(texts, m).toNDList();
            int positive = data.train().labelIndex(o.positiveLabel());
            Map<String, float[]> initialHead = snapshot(model, "classifier.");
            // validation curves use a fixed stratified slice so that evaluating four times per run stays cheap
            LabelledTextSet curveSet = data.validation().size() > CURVE_EXAMPLES ? data.validation().stratifiedSample(CURVE_EXAMPLES, o.seed()) : data.validation();

            // 1) baseline: only the head trains, on the frozen encoder's mean-pooled features (computed once)
            for (Map.Entry<String, Parameter> e : BlockPaths.parameters(model).entrySet()) {
                e.getValue().freeze(!e.getKey().startsWith("classifier."));
            }
            TrainableSummary headSummary = PeftModel.summarize(model);
            out.println("head-only baseline: " + headSummary);
            EncoderFeatures features = EncoderFeatures.compute(bert, encoder, bert.config().hiddenSize(), manager, data.train(), curveSet, data.test());
            Block head = model.module("classifier");
            FineTuner.Options headOptions = new FineTuner.Options(HEAD_EPOCHS, o.batchSize(), o.headLearningRate(), 0.01f, 0.06,
                    Math.max(1, HEAD_EPOCHS * steps(data.train().size()) / 4), o.seed(), false, 0);
            TrainingHistory headHistory = FineTuner.train(head, data.train(), curveSet, features, headOptions, manager, "baseline", null);
            ClassificationMetrics headTest = evaluate(head, data.test(), features, manager, positive);

            // 2) the adapter run, from the same initial head
            restore(model, initialHead);
            PeftModel peft = AdapterRecipes.of(o.method()).apply(model, o, data, encoder, manager);
            TrainableSummary adapterSummary = peft.trainableParameters();
            out.println(o.method() + ": " + adapterSummary);
            TrainingHistory adapterHistory = FineTuner.train(peft.block(), data.train(), curveSet, encoder, options(o.learningRate(), data.train().size()), manager, o.method(), null);
            ClassificationMetrics adaptedTest = evaluate(peft.block(), data.test(), encoder, manager, positive);

            peft.save(o.output().resolve("adapter"));
            if (o.method().equals("qlora")) {
                // merge into a dequantized copy: merging into the 4-bit weights would requantize W + delta and round
                // most of a small update away, so merged-model would not be the model that was trained
                List<String> dense = ModelQuantizer.dequantize(peft.block());
                out.println("qlora: merging into a float32 copy of the " + dense.size() + " dequantized NF4 layers (merged-model is float32)");
            }
            Block merged = peft.mergeAndUnload(true);
            String config = PretrainedModels.miniLmL6V2Config().withLabels(data.train().labels()).toJson("BertModel");
            HfCheckpoints.save(o.output().resolve("merged-model"), config, merged);

            Map<String, TrainingHistory> runs = new LinkedHashMap<>();
            runs.put(o.method(), adapterHistory);
            runs.put("head only", headHistory);
            TrainingPlot.write(o.output().resolve("training.png"), "all-MiniLM-L6-v2 on " + (o.data() == null ? "SpamAssassin" : o.data().getFileName()), runs);
            QuickstartResult r = new QuickstartResult(headTest, adaptedTest, headSummary, adapterSummary, headHistory, adapterHistory,
                    peakRss(), (System.nanoTime() - t0) / 1e9);
            AtomicFiles.writeString(o.output().resolve("metrics.json"), metricsJson(r));
            printTable(r);
            return r;
        }
    }

    private int steps(int trainSize) {
        return (trainSize + o.batchSize() - 1) / o.batchSize();
    }

    private FineTuner.Options options(float lr, int trainSize) {
        int steps = o.epochs() * steps(trainSize);
        int evalEvery = Math.max(1, steps / 4); // four validation points per run, plus the final one
        return new FineTuner.Options(o.epochs(), o.batchSize(), lr, 0.01f, 0.06, evalEvery, o.seed(), false, 0);
    }

    private static ClassificationMetrics evaluate(Block model, LabelledTextSet set, BatchEncoder encoder, NDManager manager, int positive) {
        FineTuner.Predictions p = FineTuner.predict(model, set, encoder, 64, manager);
        List<String> groups = set.items().stream().map(t -> t.group()).toList();
        return ClassificationMetrics.of(p.predicted(), p.actual(), groups, positive, p.meanLoss());
    }

    private static Map<String, float[]> snapshot(Block model, String prefix) {
        Map<String, float[]> m = new LinkedHashMap<>();
        BlockPaths.parameters(model).forEach((k, p) -> {
            if (k.startsWith(prefix)) {
                m.put(k, p.getArray().toFloatArray());
            }
        });
        return m;
    }

    private static void restore(Block model, Map<String, float[]> values) {
        BlockPaths.parameters(model).forEach((k, p) -> {
            if (values.containsKey(k)) {
                p.getArray().set(values.get(k));
            }
        });
    }

    /**
     * Returns the peak resident set size of this process (Linux {@code VmHWM}).
     *
     * @return bytes, or -1 when not available
     */
    public static long peakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    private String metricsJson(QuickstartResult r) {
        JsonObject j = new JsonObject();
        j.addProperty("method", o.method());
        j.addProperty("seed", o.seed());
        j.add("head_only", metrics(r.headOnly(), r.headOnlyTrainable(), r.headOnlyHistory()));
        j.add(o.method(), metrics(r.adapted(), r.adaptedTrainable(), r.adaptedHistory()));
        j.addProperty("peak_rss_bytes", r.peakRssBytes());
        j.addProperty("wall_seconds", r.wallSeconds());
        JsonObject settings = new JsonObject();
        settings.addProperty("rank", o.rank());
        settings.addProperty("alpha", o.alpha());
        settings.addProperty("dropout", o.dropout());
        JsonArray t = new JsonArray();
        o.targets().forEach(t::add);
        settings.add("targets", t);
        settings.addProperty("epochs", o.epochs());
        settings.addProperty("learning_rate", o.learningRate());
        settings.addProperty("head_learning_rate", o.headLearningRate());
        settings.addProperty("batch_size", o.batchSize());
        settings.addProperty("max_length", o.maxLength());
        settings.addProperty("data", o.data() == null ? "bundled:spam-assassin" : o.data().toString());
        j.add("settings", settings);
        return new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(j);
    }

    private static JsonObject metrics(ClassificationMetrics m, TrainableSummary s, TrainingHistory h) {
        JsonObject j = new JsonObject();
        j.addProperty("test_accuracy", m.accuracy());
        j.addProperty("test_f1_positive", m.positiveF1());
        j.addProperty("test_loss", m.meanLoss());
        JsonObject g = new JsonObject();
        m.groupAccuracy().forEach(g::addProperty);
        j.add("test_accuracy_by_group", g);
        j.addProperty("trainable_parameters", s.trainable());
        j.addProperty("total_parameters", s.total());
        j.addProperty("trainable_percent", s.percent());
        j.addProperty("median_step_ms", h.medianStepMillis());
        j.addProperty("steps", h.steps().size());
        JsonArray losses = new JsonArray();
        h.steps().forEach(st -> losses.add(st.loss()));
        j.add("train_loss_per_step", losses);
        JsonArray evals = new JsonArray();
        h.evaluations().forEach(e -> {
            JsonObject ev = new JsonObject();
            ev.addProperty("step", e.step());
            ev.addProperty("loss", e.loss());
            ev.addProperty("accuracy", e.accuracy());
            evals.add(ev);
        });
        j.add("validation", evals);
        return j;
    }

    private void printTable(QuickstartResult r) {
        String hard = "hard-ham-1";
        out.println();
        out.printf(Locale.ROOT, "%-28s %14s %14s%n", "test split", "head only", o.method());
        out.printf(Locale.ROOT, "%-28s %14s %14s%n", "accuracy", pct(r.headOnly().accuracy()), pct(r.adapted().accuracy()));
        out.printf(Locale.ROOT, "%-28s %14s %14s%n", "F1 (" + o.positiveLabel() + ")", pct(r.headOnly().positiveF1()), pct(r.adapted().positiveF1()));
        if (r.headOnly().groupAccuracy().containsKey(hard)) {
            out.printf(Locale.ROOT, "%-28s %14s %14s%n", "accuracy on " + hard, pct(r.headOnly().groupAccuracy().get(hard)), pct(r.adapted().groupAccuracy().get(hard)));
        }
        out.printf(Locale.ROOT, "%-28s %14s %14s%n", "trainable parameters", String.format(Locale.ROOT, "%,d", r.headOnlyTrainable().trainable()),
                String.format(Locale.ROOT, "%,d", r.adaptedTrainable().trainable()));
        out.printf(Locale.ROOT, "%-28s %14s %14s%n", "trainable % of total", String.format(Locale.ROOT, "%.3f%%", r.headOnlyTrainable().percent()),
                String.format(Locale.ROOT, "%.3f%%", r.adaptedTrainable().percent()));
        out.printf(Locale.ROOT, "%-28s %14s %14s%n", "median step time", String.format(Locale.ROOT, "%.0f ms", r.headOnlyHistory().medianStepMillis()),
                String.format(Locale.ROOT, "%.0f ms", r.adaptedHistory().medianStepMillis()));
        out.printf(Locale.ROOT, "%-28s %29s%n", "peak memory (RSS)", r.peakRssBytes() < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f MB", r.peakRssBytes() / 1e6));
        out.printf(Locale.ROOT, "%-28s %29s%n", "wall time", String.format(Locale.ROOT, "%.0f s", r.wallSeconds()));
        out.println("(the head-only baseline trains " + HEAD_EPOCHS + " epochs on the frozen encoder's mean-pooled features, computed once)");
        out.println();
        out.println("wrote " + o.output().resolve("adapter") + " (PEFT adapter), " + o.output().resolve("merged-model") + " (HF layout), "
                + o.output().resolve("metrics.json") + ", " + o.output().resolve("training.png"));
    }

    private static String pct(double v) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }

}

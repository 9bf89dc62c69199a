package org.peft4j.benchmarks.experiments;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.translate.Batchifier;

import org.peft4j.benchmarks.methods.LoraSbInitTiming;
import org.peft4j.core.PeftModel;
import org.peft4j.core.io.AtomicFiles;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.examples.data.BundledData;
import org.peft4j.examples.data.LabelledText;
import org.peft4j.examples.data.LabelledTextSet;
import org.peft4j.examples.data.Splits;
import org.peft4j.examples.quickstart.MeanPoolingClassifier;
import org.peft4j.examples.train.BatchEncoder;
import org.peft4j.examples.train.ClassificationMetrics;
import org.peft4j.examples.train.FineTuner;
import org.peft4j.examples.train.TrainingHistory;
import org.peft4j.lora.LoraConfig;
import org.peft4j.lora.loldu.LolduConfig;
import org.peft4j.lora.sb.LoraSbConfig;
import org.peft4j.lora.sb.UpdateEstimator;
import org.peft4j.lora.xs.LoraXsConfig;
import org.peft4j.models.bert.BertModel;
import org.peft4j.models.pretrained.PretrainedModels;
import org.peft4j.models.tokenize.TextTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A miniature reproduction of the LoRA-SB, LoRA-XS and LoLDU claims (methods-spec.md §7, items 1
 * and 2) on all-MiniLM-L6-v2 and the bundled SpamAssassin corpus, in the low-data regime where spam
 * detection is not at its ceiling: a stratified sample of training e-mails, a fixed step budget,
 * several seeds, the same fixed stratified test subset for every run.
 *
 * <p>Arms, each with a new mean-pooling classification head trained alongside (its 770 parameters
 * are left out of the adapter counts): head only; LoRA r=8 (alpha 16) on all 36 linear layers of the
 * 6 blocks; LoRA-XS and LoRA-SB at r=16 (scaling 1) on the same 36 layers; LoLDU at full rank
 * (r=384) on query and value, at its default learning rate 3e-3 and at 3e-4. Two more arms, run only when named, vary
 * the ranks with the parameter ratio kept above 27x: {@code lora-r16} (LoRA r=16, alpha 32, the same scaling 2 as
 * r=8) and {@code lora-sb-r24} (LoRA-SB r=24, the rank of the official GLUE scripts). A third, {@code lora-qv}
 * (LoRA r=8, alpha 16, on query and value only: 73,728 values), is the comparator methods-spec §7 item 2 names
 * for LoLDU, on the same targets. LoRA-SB estimates its
 * start from 64 samples of the run's own training sample, with {@code η_eff = lr / warm-up steps}
 * of the run's schedule. Training is {@link FineTuner} (AdamW, linear warm-up over 6% of the steps,
 * cosine decay, weight decay 0.01, one learning rate for head and adapter).
 *
 * <p>Prints a Markdown report and writes it to {@code docs/methods/results.md} (or the path given), with a PNG of
 * the training-loss curves (mean over seeds) beside it, named after the report ({@code results-loss.png}), and every
 * step's training loss of every run as CSV ({@code results-losses.csv}: arm, seed, step, loss). The table gives the
 * mean training loss over the first {@value #EARLY_STEPS} steps, the window methods-spec judges LoRA-SB's early drop on.
 * Every run starts from the same loaded encoder; a checksum of its weights is verified after each
 * run, so no run can leak into the next.
 *
 * <pre>
 * java -Xss16m -cp ... org.peft4j.benchmarks.experiments.MethodsMiniature [out=docs/methods/results.md]
 *     [train=256] [steps=32] [seeds=1,2,3] [test=200] [batch=8] [maxLength=48] [arms=head,lora,lora-xs,lora-sb,loldu,loldu-3e-4]
 *     [evalEvery=steps/2]
 * </pre>
 *
 * <p>The validation loss is measured every {@code evalEvery} steps and after the last (methods-spec §7 asks for
 * it after 25, 50 and 100 steps: {@code evalEvery} 25). Scoring it runs the model in inference mode only, so it
 * does not change what the runs learn. The training-loss columns "first half" and "last half" always split the
 * run at {@code steps / 2}.
 *
 * <p>Any arm runs at another learning rate as {@code KEY@LR}, e.g. {@code lora@5e-4} or {@code lora-sb@5e-3}
 * (head included; for LoRA-SB the estimate's {@code η_eff} follows the run's learning rate). The keys
 * {@code lora-3e-3}, {@code lora-xs-3e-3}, {@code lora-sb-3e-3}, {@code lora-xs-1e-2} and {@code lora-sb-1e-2} are
 * kept as names for {@code lora@3e-3} and so on.
 *
 * <p>Besides the test split, every run is scored on {@value #SELECTION_SIZE} e-mails of the validation
 * split. When a method runs at several learning rates, the report chooses one per method by mean validation
 * accuracy (ties: validation F1) and sets the chosen arms' test results side by side, so that no
 * learning rate is picked by its test score.
 */
public final class MethodsMiniature {

    private static final String[] ALL_LINEARS = LoraSbInitTiming.ALL_BLOCK_LINEARS;
    private static final int HEAD_PARAMETERS = 384 * 2 + 2;
    private static final int VALIDATION_SIZE = 48;
    /** Validation e-mails every run is scored on at the end, to choose learning rates without the test split. */
    static final int SELECTION_SIZE = 300;

    /** An arm of the comparison; {@code key} selects it on the command line. */
    record Arm(String key, String method, String targets, float defaultLearningRate, float learningRate, Adapt adapt) {

        Arm(String key, String method, String targets, float learningRate, Adapt adapt) {
            this(key, method, targets, learningRate, learningRate, adapt);
        }

        /** The method's name, with the learning rate when it is not the method's default. */
        String name() {
            return learningRate == defaultLearningRate ? method : method + ", lr " + lr(learningRate);
        }

        /** This arm at another learning rate, selected on the command line as {@code key@lr}. */
        Arm at(float lr, String asKey) {
            return new Arm(asKey, method, targets, defaultLearningRate, lr, adapt);
        }
    }

    private static String lr(float learningRate) {
        return String.format(Locale.ROOT, "%.0e", learningRate).replace("e-0", "e-");
    }

    /** The arms run when none are named: the comparison of methods-spec §7, items 1 and 2. */
    private static final String DEFAULT_ARMS = "head,lora,lora-xs,lora-sb,loldu,loldu-3e-4";

    /** Adapts a fresh classifier for one run. */
    @FunctionalInterface
    interface Adapt {
        PeftModel apply(MeanPoolingClassifier model, RunContext run);
    }

    /** What an arm may use: the run's training sample, encoder, schedule and manager. */
    record RunContext(LabelledTextSet train, long seed, BatchEncoder encoder, int batchSize, int warmupSteps, float learningRate, NDManager manager) {}

    /** One run's measurements. */
    record Result(String arm, long seed, double accuracy, double f1, double validationAccuracy, double validationF1, long adapterParameters,
                          double firstTrainLoss, double lastTrainLoss, double earlyTrainLoss, Map<Integer, Double> validationLoss, double seconds) {}

    /** The early window methods-spec §7 item 1 judges LoRA-SB's loss drop on: the first 50 steps. */
    static final int EARLY_STEPS = 50;

    private MethodsMiniature() {}

    /**
     * Runs every arm for every seed and writes the report.
     *
     * @param args optional {@code out train steps seeds test batch maxLength arms evalEvery}
     * @throws IOException if the data, the model or the report cannot be read or written
     */
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "docs/methods/results.md");
        int trainSize = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        long[] seeds = java.util.Arrays.stream((args.length > 3 ? args[3] : "1,2,3").split(",")).mapToLong(Long::parseLong).toArray();
        int testSize = args.length > 4 ? Integer.parseInt(args[4]) : 200;
        int batchSize = args.length > 5 ? Integer.parseInt(args[5]) : 8;
        int maxLength = args.length > 6 ? Integer.parseInt(args[6]) : 48;
        List<String> selected = List.of((args.length > 7 ? args[7] : DEFAULT_ARMS).split(","));
        int half = Math.max(1, steps / 2);
        int evalEvery = args.length > 8 ? positiveInt(args[8], "evalEvery (the 9th argument)") : half;
        int warmup = (int) Math.round(steps * 0.06);
        String loadBefore = LoraSbInitTiming.loadavg();
        long t0 = System.nanoTime();

        Splits splits = BundledData.spamAssassin().stratifiedSplit(0.7, 0.1, 42);
        LabelledTextSet test = splits.test().stratifiedSample(testSize, 42);
        LabelledTextSet validation = splits.validation().stratifiedSample(VALIDATION_SIZE, 42);
        LabelledTextSet selection = splits.validation().stratifiedSample(SELECTION_SIZE, 42);

        List<Arm> arms = parseArms(selected, allArms(), Map.of("lora-3e-3", "lora@3e-3", "lora-xs-3e-3", "lora-xs@3e-3", "lora-sb-3e-3", "lora-sb@3e-3",
                "lora-xs-1e-2", "lora-xs@1e-2", "lora-sb-1e-2", "lora-sb@1e-2", "loldu-3e-4", "loldu@3e-4"));
        List<Result> results = new ArrayList<>();
        Map<String, List<double[]>> lossCurves = new LinkedHashMap<>();
        arms.forEach(arm -> lossCurves.put(arm.name(), new ArrayList<>()));
        StringBuilder lossRows = new StringBuilder("arm,seed,step,loss\n");
        try (NDManager manager = NDManager.newBaseManager();
                TextTokenizer tokenizer = PretrainedModels.miniLmL6V2Tokenizer(maxLength, TextTokenizer.Padding.LONGEST)) {
            BertModel bert = PretrainedModels.miniLmL6V2Encoder(manager);
            BatchEncoder encoder = (texts, m) -> tokenizer.encode(texts, m).toNDList();
            double checksum = checksum(bert);
            for (long seed : seeds) {
                LabelledTextSet train = splits.train().stratifiedSample(trainSize, seed);
                for (Arm arm : arms) {
                    long r0 = System.nanoTime();
                    Engine.getInstance().setRandomSeed((int) seed);
                    MeanPoolingClassifier model = new MeanPoolingClassifier(bert, train.labels().size(), manager);
                    RunContext ctx = new RunContext(train, seed, encoder, batchSize, Math.max(1, warmup), arm.learningRate(), manager);
                    PeftModel peft = arm.adapt().apply(model, ctx);
                    long adapterParameters;
                    if (peft == null) {
                        BlockPaths.parameters(model).forEach((k, p) -> p.freeze(!k.startsWith("classifier.")));
                        adapterParameters = 0;
                    } else {
                        adapterParameters = peft.trainableParameters().trainable() - HEAD_PARAMETERS;
                    }
                    FineTuner.Options o = new FineTuner.Options((steps + (trainSize + batchSize - 1) / batchSize - 1) / ((trainSize + batchSize - 1) / batchSize),
                            batchSize, arm.learningRate(), 0.01f, 0.06, evalEvery, seed, false, steps);
                    TrainingHistory h = FineTuner.train(peft == null ? model : peft.block(), train, validation, encoder, o, manager,
                            arm.name() + " s" + seed, null);
                    FineTuner.Predictions p = FineTuner.predict(peft == null ? model : peft.block(), test, encoder, 64, manager);
                    ClassificationMetrics m = ClassificationMetrics.of(p.predicted(), p.actual(),
                            test.items().stream().map(LabelledText::group).toList(), test.labelIndex("spam"), p.meanLoss());
                    FineTuner.Predictions vp = FineTuner.predict(peft == null ? model : peft.block(), selection, encoder, 64, manager);
                    ClassificationMetrics vm = ClassificationMetrics.of(vp.predicted(), vp.actual(),
                            selection.items().stream().map(LabelledText::group).toList(), selection.labelIndex("spam"), vp.meanLoss());
                    Map<Integer, Double> val = new LinkedHashMap<>();
                    h.evaluations().forEach(e -> val.put(e.step(), e.loss()));
                    Result r = new Result(arm.name(), seed, m.accuracy(), m.positiveF1(), vm.accuracy(), vm.positiveF1(), adapterParameters, meanLoss(h, 0, half),
                            meanLoss(h, steps - half, steps), meanLoss(h, 0, Math.min(EARLY_STEPS, steps)), val, (System.nanoTime() - r0) / 1e9);
                    h.steps().forEach(st -> lossRows.append(String.format(Locale.ROOT, "%s,%d,%d,%.6f%n", csvField(arm.name()), seed, st.step(), st.loss())));
                    results.add(r);
                    lossCurves.get(arm.name()).add(h.steps().stream().mapToDouble(TrainingHistory.Step::loss).toArray());
                    System.out.printf(Locale.ROOT, "%n%s seed %d: acc %.4f F1 %.4f (validation %.4f / %.4f) params %,d val %s train loss %.3f -> %.3f, first %d steps %.3f"
                            + " (%.0f s, median step %.0f ms, load %s)%n", arm.name(), seed, r.accuracy(), r.f1(), r.validationAccuracy(), r.validationF1(),
                            r.adapterParameters(), val, r.firstTrainLoss(), r.lastTrainLoss(),
                            Math.min(EARLY_STEPS, steps), r.earlyTrainLoss(), r.seconds(), h.medianStepMillis(), LoraSbInitTiming.loadavg());
                    if (peft != null) {
                        peft.unload();
                    }
                    for (Parameter q : model.getParameters().values()) {
                        q.freeze(true);
                    }
                    if (checksum(bert) != checksum) {
                        throw new IllegalStateException("the encoder's weights changed during " + arm.name() + " seed " + seed);
                    }
                }
            }
        }
        String fileName = out.getFileName().toString();
        String stem = fileName.endsWith(".md") ? fileName.substring(0, fileName.length() - 3) : fileName;
        Path plot = out.resolveSibling(stem + "-loss.png");
        Path lossFile = out.resolveSibling(stem + "-losses.csv");
        String report = report(arms, results, trainSize, steps, seeds, testSize, batchSize, maxLength, evalEvery, half,
                (System.nanoTime() - t0) / 60e9, loadBefore, LoraSbInitTiming.loadavg(), plot.getFileName().toString());
        System.out.println();
        System.out.println(report);
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }
        AtomicFiles.writeString(out, report);
        AtomicFiles.writeString(lossFile, lossRows.toString());
        MeanLossPlot.write(plot, String.format(Locale.ROOT, "Training loss, %d e-mails, %d steps of batch %d (all-MiniLM-L6-v2, SpamAssassin)",
                trainSize, steps, batchSize), lossCurves);
        System.out.println("wrote " + out + ", " + plot + " and " + lossFile + " (every step's training loss)");
    }

    /** Every arm the command line can name, at its default learning rate. */
    static List<Arm> allArms() {
        return List.of(
                new Arm("head", "head only", "—", 3e-3f, (m, c) -> null),
                new Arm("lora", "LoRA r=8", "36 linears", 1e-3f, (m, c) -> PeftModel.wrap(m, LoraConfig.builder().r(8).loraAlpha(16)
                        .targetModules(ALL_LINEARS).modulesToSave("classifier").build())),
                new Arm("lora-xs", "LoRA-XS r=16", "36 linears", 1e-3f, MethodsMiniature::loraXs),
                new Arm("lora-sb", "LoRA-SB r=16", "36 linears", 1e-3f, (m, c) -> loraSb(m, c, 16)),
                new Arm("lora-r16", "LoRA r=16", "36 linears", 1e-3f, (m, c) -> PeftModel.wrap(m, LoraConfig.builder().r(16).loraAlpha(32)
                        .targetModules(ALL_LINEARS).modulesToSave("classifier").build())),
                new Arm("lora-sb-r24", "LoRA-SB r=24", "36 linears", 1e-3f, (m, c) -> loraSb(m, c, 24)),
                new Arm("lora-qv", "LoRA r=8, query and value", "query, value", 1e-3f, (m, c) -> PeftModel.wrap(m, LoraConfig.builder().r(8)
                        .loraAlpha(16).targetModules("query", "value").modulesToSave("classifier").build())),
                new Arm("loldu", "LoLDU r=384", "query, value", 3e-3f, (m, c) -> PeftModel.wrap(m, LolduConfig.builder().r(384)
                        .targetModules("query", "value").modulesToSave("classifier").build())));
    }

    /**
     * Resolves the command line's arm keys: a key, an alias, or {@code KEY@LR}; duplicates are an error.
     */
    static List<Arm> parseArms(List<String> selected, List<Arm> allArms, Map<String, String> aliases) {
        Map<String, Arm> byKey = new LinkedHashMap<>();
        allArms.forEach(a -> byKey.put(a.key(), a));
        String allowed = String.join(", ", byKey.keySet()) + ", " + String.join(", ", aliases.keySet()) + ", or KEY@LR such as lora@5e-4";
        List<Arm> arms = new ArrayList<>();
        for (String given : selected) {
            String k = aliases.getOrDefault(given.trim(), given.trim());
            int at = k.indexOf('@');
            Arm base = byKey.get(at < 0 ? k : k.substring(0, at));
            if (base == null) {
                throw new IllegalArgumentException("arms: '" + given + "' is not an arm; allowed values: " + allowed);
            }
            Arm arm = base;
            if (at >= 0) {
                float lr;
                try {
                    lr = Float.parseFloat(k.substring(at + 1));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("arms: '" + given + "' has no learning rate after '@' (e.g. lora@5e-4)", e);
                }
                if (!(lr > 0) || Float.isInfinite(lr)) {
                    throw new IllegalArgumentException("arms: '" + given + "': the learning rate must be a positive number");
                }
                arm = base.at(lr, given.trim());
            }
            Arm a = arm;
            if (arms.stream().anyMatch(x -> x.name().equals(a.name()))) {
                throw new IllegalArgumentException("arms: '" + given + "' repeats the arm " + a.name());
            }
            arms.add(arm);
        }
        return arms;
    }

    private static PeftModel loraXs(MeanPoolingClassifier model, RunContext c) {
        return PeftModel.wrap(model, LoraXsConfig.builder().r(16).targetModules(ALL_LINEARS).modulesToSave("classifier").build());
    }

    private static PeftModel loraSb(MeanPoolingClassifier model, RunContext c, int rank) {
        LoraSbConfig config = LoraSbConfig.builder().r(rank).targetModules(ALL_LINEARS).modulesToSave("classifier")
                .numSamples(64).estimationSchedule(c.learningRate(), c.warmupSteps()).build();
        return UpdateEstimator.wrap(model, config, estimationBatches(c.train(), c.seed(), c.batchSize(), c.encoder(), c.manager()).iterator(),
                Loss.softmaxCrossEntropyLoss());
    }

    /**
     * The batches LoRA-SB's estimate sees: the first 64 e-mails of the training sample shuffled with the
     * run's seed (the sample keeps the corpus order, so unshuffled they would not mix both labels).
     *
     * @return batches, each in its own sub-manager of {@code manager} (the estimator closes them)
     */
    static List<Batch> estimationBatches(LabelledTextSet train, long seed, int batchSize, BatchEncoder encoder, NDManager manager) {
        List<LabelledText> items = train.shuffled(seed).items().subList(0, Math.min(64, train.size()));
        List<Batch> batches = new ArrayList<>();
        for (int start = 0; start < items.size(); start += batchSize) {
            batches.add(batch(items.subList(start, Math.min(items.size(), start + batchSize)), train, encoder, manager.newSubManager()));
        }
        return batches;
    }

    /** One batch of labelled texts (labels indexed by {@code labelsOf}'s vocabulary), owned by {@code bm}. */
    static Batch batch(List<LabelledText> items, LabelledTextSet labelsOf, BatchEncoder encoder, NDManager bm) {
        long[] labels = items.stream().mapToLong(t -> labelsOf.labelIndex(t.label())).toArray();
        NDList inputs = encoder.encode(items.stream().map(LabelledText::text).toList(), bm);
        return new Batch(bm, inputs, new NDList(bm.create(labels)), items.size(), Batchifier.STACK, Batchifier.STACK, 0, 0);
    }

    /** A CSV field: quoted when it holds a comma or a quote (arm names such as "LoRA r=8, lr 5e-4" do). */
    static String csvField(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    private static double meanLoss(TrainingHistory h, int fromStep, int toStep) {
        return h.steps().stream().filter(s -> s.step() > fromStep && s.step() <= toStep).mapToDouble(TrainingHistory.Step::loss).average().orElse(Double.NaN);
    }

    private static double checksum(BertModel bert) {
        double sum = 0;
        for (Parameter p : bert.getParameters().values()) {
            sum += p.getArray().abs().sum().getFloat();
        }
        return sum;
    }

    /** Parses a positive integer argument, naming it in the error. */
    static int positiveInt(String text, String what) {
        int v;
        try {
            v = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + ": expected a positive integer, got '" + text + "'", e);
        }
        if (v <= 0) {
            throw new IllegalArgumentException(what + ": expected a positive integer, got " + v);
        }
        return v;
    }

    private static String report(List<Arm> arms, List<Result> results, int trainSize, int steps, long[] seeds, int testSize, int batchSize,
                                 int maxLength, int evalEvery, int half, double minutes, String loadBefore, String loadAfter, String plotFile) {
        StringBuilder b = new StringBuilder();
        b.append("# Miniature reproduction: LoRA-SB, LoRA-XS, LoLDU on all-MiniLM-L6-v2 + SpamAssassin\n\n");
        b.append(String.format(Locale.ROOT, "Generated %s by `org.peft4j.benchmarks.experiments.MethodsMiniature` in %.0f minutes on %d shared CPU cores "
                + "(load average %s before, %s after).%n%n", LocalDate.now(), minutes, Runtime.getRuntime().availableProcessors(), loadBefore, loadAfter));
        b.append(String.format(Locale.ROOT, "Setup: %d training e-mails (stratified sample of the 70%% train split, one sample per seed, shared by all arms), "
                + "%d steps of batch %d (%.1f epochs), %d tokens, seeds %s; test: the same stratified %d e-mails of the test split for every run; "
                + "validation loss on " + VALIDATION_SIZE + " e-mails every %d steps. Adapter parameters exclude the 770 of the classification head, which trains in every arm.%n%n",
                trainSize, steps, batchSize, (double) steps * batchSize / trainSize, maxLength, java.util.Arrays.toString(seeds), testSize, evalEvery));
        List<Integer> evalSteps = new ArrayList<>();
        results.stream().findFirst().ifPresent(r -> evalSteps.addAll(r.validationLoss().keySet()));
        b.append("| arm | targets | lr | adapter params | test accuracy | test F1 (spam) | validation accuracy | validation F1 |");
        evalSteps.forEach(s -> b.append(" val loss @").append(s).append(" |"));
        b.append(" train loss, first ").append(Math.min(EARLY_STEPS, steps)).append(" steps | train loss, first ").append(half)
                .append(" steps | train loss, last ").append(half).append(" steps | s/run |\n");
        b.append("|---|---|---|---:|---:|---:|---:|---:|");
        evalSteps.forEach(s -> b.append("---:|"));
        b.append("---:|---:|---:|---:|\n");
        for (Arm arm : arms) {
            List<Result> rs = results.stream().filter(r -> r.arm().equals(arm.name())).toList();
            if (rs.isEmpty()) {
                continue;
            }
            b.append("| ").append(arm.name()).append(" | ").append(arm.targets()).append(" | ").append(lr(arm.learningRate()))
                    .append(" | ").append(String.format(Locale.ROOT, "%,d", rs.get(0).adapterParameters()))
                    .append(" | ").append(meanStd(rs.stream().mapToDouble(r -> 100 * r.accuracy()).toArray(), "%.2f"))
                    .append(" | ").append(meanStd(rs.stream().mapToDouble(r -> 100 * r.f1()).toArray(), "%.2f"))
                    .append(" | ").append(meanStd(rs.stream().mapToDouble(r -> 100 * r.validationAccuracy()).toArray(), "%.2f"))
                    .append(" | ").append(meanStd(rs.stream().mapToDouble(r -> 100 * r.validationF1()).toArray(), "%.2f")).append(" |");
            for (int s : evalSteps) {
                b.append(' ').append(meanStd(rs.stream().mapToDouble(r -> r.validationLoss().getOrDefault(s, Double.NaN)).toArray(), "%.3f")).append(" |");
            }
            b.append(' ').append(meanStd(rs.stream().mapToDouble(Result::earlyTrainLoss).toArray(), "%.3f")).append(" |")
                    .append(' ').append(meanStd(rs.stream().mapToDouble(Result::firstTrainLoss).toArray(), "%.3f")).append(" |")
                    .append(' ').append(meanStd(rs.stream().mapToDouble(Result::lastTrainLoss).toArray(), "%.3f")).append(" |")
                    .append(String.format(Locale.ROOT, " %.0f |%n", rs.stream().mapToDouble(Result::seconds).average().orElse(Double.NaN)));
        }
        b.append("\nMean ± sample standard deviation over seeds; accuracy and F1 in percent; validation: " + SELECTION_SIZE
                + " e-mails of the validation split, scored after training.\n\n");
        b.append(selection(arms, results));
        b.append("![Training loss per step, mean over seeds, smoothed](").append(plotFile).append(")\n\n## Per seed\n\n");
        b.append("| arm | seed | test accuracy | test F1 (spam) | validation accuracy | validation F1 | final val loss |\n|---|---:|---:|---:|---:|---:|---:|\n");
        for (Result r : results) {
            double last = r.validationLoss().isEmpty() ? Double.NaN : new ArrayList<>(r.validationLoss().values()).get(r.validationLoss().size() - 1);
            b.append(String.format(Locale.ROOT, "| %s | %d | %.2f | %.2f | %.2f | %.2f | %.3f |%n", r.arm(), r.seed(), 100 * r.accuracy(), 100 * r.f1(),
                    100 * r.validationAccuracy(), 100 * r.validationF1(), last));
        }
        return b.toString();
    }

    /**
     * For each method run at more than one learning rate, the arm with the best mean validation accuracy
     * (ties: validation F1), and its test result; empty when no method has several.
     */
    static String selection(List<Arm> arms, List<Result> results) {
        Map<String, List<Arm>> byMethod = new LinkedHashMap<>();
        arms.forEach(a -> byMethod.computeIfAbsent(a.method(), k -> new ArrayList<>()).add(a));
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, List<Arm>> e : byMethod.entrySet()) {
            List<Arm> candidates = e.getValue().stream().filter(a -> results.stream().anyMatch(r -> r.arm().equals(a.name()))).toList();
            if (candidates.size() < 2) {
                continue;
            }
            Arm best = null;
            double bestAcc = -1;
            double bestF1 = -1;
            for (Arm a : candidates) {
                double acc = results.stream().filter(r -> r.arm().equals(a.name())).mapToDouble(Result::validationAccuracy).average().orElseThrow();
                double f1 = results.stream().filter(r -> r.arm().equals(a.name())).mapToDouble(Result::validationF1).average().orElseThrow();
                if (acc > bestAcc || (acc == bestAcc && f1 > bestF1)) {
                    best = a;
                    bestAcc = acc;
                    bestF1 = f1;
                }
            }
            Arm chosen = best;
            List<Result> rs = results.stream().filter(r -> r.arm().equals(chosen.name())).toList();
            if (b.length() == 0) {
                b.append("Learning rate chosen per method on validation accuracy (ties: validation F1), and its test result:\n\n")
                        .append("| method | learning rates tried | chosen | validation accuracy | test accuracy | test F1 (spam) |\n|---|---|---|---:|---:|---:|\n");
            }
            b.append("| ").append(e.getKey()).append(" | ").append(String.join(", ", candidates.stream().map(a -> lr(a.learningRate())).toList()))
                    .append(" | ").append(lr(chosen.learningRate())).append(" | ").append(String.format(Locale.ROOT, "%.2f", 100 * bestAcc))
                    .append(" | ").append(meanStd(rs.stream().mapToDouble(r -> 100 * r.accuracy()).toArray(), "%.2f"))
                    .append(" | ").append(meanStd(rs.stream().mapToDouble(r -> 100 * r.f1()).toArray(), "%.2f")).append(" |\n");
        }
        return b.length() == 0 ? "" : b.append('\n').toString();
    }

    private static String meanStd(double[] v, String format) {
        double mean = 0;
        for (double x : v) {
            mean += x;
        }
        mean /= v.length;
        double ss = 0;
        for (double x : v) {
            ss += (x - mean) * (x - mean);
        }
        double std = v.length > 1 ? Math.sqrt(ss / (v.length - 1)) : 0;
        return String.format(Locale.ROOT, format + " ± " + format, mean, std);
    }
}

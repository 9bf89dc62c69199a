package org.peft4j.examples.train;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.CosineTracker;
import ai.djl.training.tracker.Tracker;
import ai.djl.training.tracker.WarmUpTracker;
import ai.djl.training.util.ProgressBar;

import org.peft4j.core.nn.BlockPaths;
import org.peft4j.examples.data.LabelledText;
import org.peft4j.examples.data.LabelledTextSet;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A plain supervised fine-tuning loop for text classifiers on DJL: AdamW with linear warm-up and
 * cosine decay, softmax cross-entropy, a progress bar per epoch, periodic validation, and a stop
 * (or skip) on non-finite loss or gradients naming the step and the first bad parameter. Each step
 * runs in its own sub-manager, so memory does not grow with the number of steps.
 */
public final class FineTuner {

    /**
     * Loop settings.
     *
     * @param epochs passes over the training set
     * @param batchSize examples per step
     * @param learningRate peak learning rate
     * @param weightDecay AdamW weight decay
     * @param warmupFraction share of steps with a linear warm-up
     * @param evalEvery validate every this many steps (and at the end); 0 = only at the end
     * @param seed shuffling seed
     * @param skipNonFinite skip a step with non-finite gradients instead of stopping
     * @param maxSteps stop after this many steps (0 = no limit)
     */
    public record Options(int epochs, int batchSize, float learningRate, float weightDecay, double warmupFraction,
                          int evalEvery, long seed, boolean skipNonFinite, int maxSteps) {}

    /**
     * Predictions on a data set.
     *
     * @param predicted predicted label index per example
     * @param actual true label index per example
     * @param meanLoss mean cross-entropy
     */
    public record Predictions(int[] predicted, int[] actual, double meanLoss) {}

    private FineTuner() {}

    /**
     * Trains the trainable parameters of {@code model} (those not frozen).
     *
     * @param model a block mapping the encoder's inputs to logits {@code [B, labels]}
     * @param train the training set
     * @param validation the validation set (may be empty)
     * @param encoder the tokenizer
     * @param o the settings
     * @param manager the owner of per-step arrays (its device is used)
     * @param title shown in the progress bar
     * @param onStep called after every step (may be null)
     * @return the loss and accuracy history
     */
    public static TrainingHistory train(Block model, LabelledTextSet train, LabelledTextSet validation, BatchEncoder encoder,
                                        Options o, NDManager manager, String title, Consumer<TrainingHistory.Step> onStep) {
        int perEpoch = (train.size() + o.batchSize() - 1) / o.batchSize();
        int total = perEpoch * o.epochs();
        if (o.maxSteps() > 0) {
            total = Math.min(total, o.maxSteps());
        }
        int warmup = (int) Math.round(total * o.warmupFraction());
        Tracker main = CosineTracker.builder().setBaseValue(o.learningRate()).optFinalValue(0f).setMaxUpdates(Math.max(1, total - warmup)).build();
        Tracker lr = warmup > 0 ? WarmUpTracker.builder().setMainTracker(main).optWarmUpSteps(warmup).optWarmUpBeginValue(0f).build() : main;
        Optimizer adamw = Optimizer.adamW().optLearningRateTracker(lr).optWeightDecays(o.weightDecay()).build();
        Map<Parameter, String> names = new LinkedHashMap<>();
        BlockPaths.parameters(model).forEach((k, p) -> names.put(p, k));
        List<Parameter> trainable = new ArrayList<>();
        names.keySet().stream().filter(Parameter::requiresGradient).forEach(trainable::add);
        if (trainable.isEmpty()) {
            throw new IllegalStateException("the model has no trainable parameter: wrap it with an adapter or unfreeze a head first");
        }
        TrainingHistory history = new TrainingHistory();
        Loss loss = Loss.softmaxCrossEntropyLoss();
        try (Model djlModel = Model.newInstance("peft4j-finetune", manager.getDevice())) {
            djlModel.setBlock(model);
            DefaultTrainingConfig cfg = new DefaultTrainingConfig(loss).optOptimizer(adamw).optDevices(new ai.djl.Device[] {manager.getDevice()});
            try (Trainer trainer = djlModel.newTrainer(cfg)) {
                int step = 0;
                outer:
                for (int epoch = 0; epoch < o.epochs(); epoch++) {
                    List<LabelledText> items = train.shuffled(o.seed() + epoch).items();
                    int steps = Math.min(perEpoch, total - step);
                    ProgressBar bar = new ProgressBar(title + " epoch " + (epoch + 1) + "/" + o.epochs(), steps);
                    bar.start(0);
                    for (int b = 0; b < perEpoch; b++) {
                        if (step >= total) {
                            bar.end();
                            break outer;
                        }
                        List<LabelledText> batch = items.subList(b * o.batchSize(), Math.min(items.size(), (b + 1) * o.batchSize()));
                        long t0 = System.nanoTime();
                        step++;
                        double l;
                        double acc;
                        try (NDManager sm = manager.newSubManager()) {
                            NDList inputs = encoder.encode(texts(batch), sm);
                            NDArray labels = sm.create(labelIndices(batch, train));
                            NDArray lossValue;
                            NDArray logits;
                            try (GradientCollector gc = trainer.newGradientCollector()) {
                                logits = trainer.forward(inputs).singletonOrThrow();
                                lossValue = loss.evaluate(new NDList(labels), new NDList(logits));
                                gc.backward(lossValue);
                            }
                            l = lossValue.getFloat();
                            acc = logits.argMax(1).toType(DataType.INT64, false).eq(labels).toType(DataType.FLOAT32, false).mean().getFloat();
                            String bad = Double.isFinite(l) ? firstNonFiniteGradient(trainable, names, sm) : "the loss";
                            if (bad != null) {
                                String msg = "step " + step + ": non-finite " + (bad.equals("the loss") ? "loss (" + l + ")" : "gradient in parameter " + bad);
                                if (!o.skipNonFinite()) {
                                    bar.end();
                                    throw new NonFiniteTrainingException(step, bad.equals("the loss") ? null : bad, msg + "; lower the learning rate or enable skipping");
                                }
                                zeroGradients(trainable, sm);
                                System.err.println("\nskipping " + msg);
                            } else {
                                trainer.step();
                            }
                        }
                        double ms = (System.nanoTime() - t0) / 1e6;
                        TrainingHistory.Step s = new TrainingHistory.Step(step, l, acc, ms);
                        history.add(s);
                        if (onStep != null) {
                            onStep.accept(s);
                        }
                        // DJL's ProgressBar takes the 0-based index of the item just done (it draws (index + 1) / max)
                        bar.update(b, String.format(java.util.Locale.ROOT, "loss %.4f", l));
                        if (validation != null && validation.size() > 0 && o.evalEvery() > 0 && step % o.evalEvery() == 0 && step < total) {
                            Predictions p = predict(model, validation, encoder, o.batchSize(), manager);
                            history.add(new TrainingHistory.Evaluation(step, p.meanLoss(), accuracy(p)));
                        }
                    }
                    bar.end();
                }
            }
        }
        if (validation != null && validation.size() > 0) {
            Predictions p = predict(model, validation, encoder, o.batchSize(), manager);
            history.add(new TrainingHistory.Evaluation(history.steps().size(), p.meanLoss(), accuracy(p)));
        }
        return history;
    }

    /**
     * Runs the model in inference mode over a data set.
     *
     * @param model the classifier
     * @param set the examples
     * @param encoder the tokenizer
     * @param batchSize examples per forward pass
     * @param manager the owner of temporaries
     * @return predictions and mean loss
     */
    public static Predictions predict(Block model, LabelledTextSet set, BatchEncoder encoder, int batchSize, NDManager manager) {
        int n = set.size();
        int[] pred = new int[n];
        int[] actual = new int[n];
        double lossSum = 0;
        Loss loss = Loss.softmaxCrossEntropyLoss();
        List<LabelledText> items = set.items();
        for (int start = 0; start < n; start += batchSize) {
            List<LabelledText> batch = items.subList(start, Math.min(n, start + batchSize));
            try (NDManager sm = manager.newSubManager()) {
                NDList inputs = encoder.encode(texts(batch), sm);
                NDArray logits = model.forward(new ParameterStore(sm, false), inputs, false).singletonOrThrow();
                NDArray labels = sm.create(labelIndices(batch, set));
                lossSum += loss.evaluate(new NDList(labels), new NDList(logits)).getFloat() * batch.size();
                long[] p = logits.argMax(1).toType(DataType.INT64, false).toLongArray();
                long[] a = labels.toLongArray();
                for (int i = 0; i < batch.size(); i++) {
                    pred[start + i] = (int) p[i];
                    actual[start + i] = (int) a[i];
                }
            }
        }
        return new Predictions(pred, actual, n == 0 ? Double.NaN : lossSum / n);
    }

    /**
     * Returns the accuracy of predictions.
     *
     * @param p the predictions
     * @return fraction correct
     */
    public static double accuracy(Predictions p) {
        int c = 0;
        for (int i = 0; i < p.actual().length; i++) {
            c += p.predicted()[i] == p.actual()[i] ? 1 : 0;
        }
        return p.actual().length == 0 ? 0 : (double) c / p.actual().length;
    }

    private static String firstNonFiniteGradient(List<Parameter> trainable, Map<Parameter, String> names, NDManager step) {
        for (Parameter p : trainable) {
            NDArray a = p.getArray();
            if (!a.hasGradient()) {
                continue;
            }
            NDArray g = a.getGradient();
            g.attach(step); // the handle (not the gradient storage) is released with the step
            boolean bad = g.isNaN().logicalOr(g.isInfinite()).any().getBoolean();
            if (bad) {
                return names.get(p);
            }
        }
        return null;
    }

    private static void zeroGradients(List<Parameter> trainable, NDManager step) {
        for (Parameter p : trainable) {
            NDArray a = p.getArray();
            if (a.hasGradient()) {
                NDArray g = a.getGradient();
                g.attach(step);
                g.set(new NDIndex("..."), 0f);
            }
        }
    }

    private static List<String> texts(List<LabelledText> batch) {
        List<String> t = new ArrayList<>(batch.size());
        batch.forEach(x -> t.add(x.text()));
        return t;
    }

    private static long[] labelIndices(List<LabelledText> batch, LabelledTextSet set) {
        long[] l = new long[batch.size()];
        for (int i = 0; i < l.length; i++) {
            l[i] = set.labelIndex(batch.get(i).label());
        }
        return l;
    }
}

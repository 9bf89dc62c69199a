package org.peft4j.benchmarks.experiments.soups;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;

import org.peft4j.core.nn.BlockPaths;
import org.peft4j.examples.data.LabelledText;
import org.peft4j.examples.data.LabelledTextSet;
import org.peft4j.examples.quickstart.MeanPoolingClassifier;
import org.peft4j.examples.train.BatchEncoder;
import org.peft4j.examples.train.ClassificationMetrics;
import org.peft4j.examples.train.FineTuner;
import org.peft4j.merge.checkpoint.CheckpointView;
import org.peft4j.merge.checkpoint.InMemoryCheckpoint;
import org.peft4j.models.bert.BertSentenceEmbedder;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * One {@link MeanPoolingClassifier} whose weights are swapped in from checkpoints, so every model of
 * an experiment (fine-tunes, soups, merges) runs in the same block tree. Keys are the block paths of
 * the classifier: {@code bert.embeddings...}, {@code bert.encoder.layer.N...} and {@code classifier.weight}
 * ({@code [labels, 384]}), {@code classifier.bias} ({@code [labels]}), all float32.
 */
final class SwappableClassifier {

    private final MeanPoolingClassifier model;
    private final Map<String, Parameter> parameters;
    private final BatchEncoder encoder;
    private final NDManager manager;
    private final int batchSize;

    /**
     * @param model the classifier (loaded encoder, initialised head)
     * @param encoder the tokenizer
     * @param batchSize examples per inference forward pass
     * @param manager owner of per-batch temporaries
     */
    SwappableClassifier(MeanPoolingClassifier model, BatchEncoder encoder, int batchSize, NDManager manager) {
        this.model = model;
        this.parameters = BlockPaths.parameters(model);
        this.encoder = encoder;
        this.batchSize = batchSize;
        this.manager = manager;
    }

    MeanPoolingClassifier model() {
        return model;
    }

    BatchEncoder encoder() {
        return encoder;
    }

    /** Gives every parameter a gradient (full fine-tuning) or none (inference and weight swaps). */
    void trainable(boolean all) {
        parameters.values().forEach(p -> p.freeze(!all));
    }

    /**
     * Copies the current weights whose key passes {@code keys}.
     *
     * @param owner manager that will own the copies (they live as long as it does)
     * @param keys which keys to keep
     * @return key to a float32 copy, in block order
     */
    Map<String, NDArray> copyWeights(NDManager owner, Predicate<String> keys) {
        Map<String, NDArray> copy = new LinkedHashMap<>();
        parameters.forEach((k, p) -> {
            if (keys.test(k)) {
                NDArray a = p.getArray().duplicate();
                a.attach(owner);
                copy.put(k, a);
            }
        });
        return copy;
    }

    /**
     * Overwrites the weights named by the checkpoint, in place; keys of the model the checkpoint
     * lacks are left as they are.
     *
     * @param view checkpoint whose every key is a parameter of the classifier with the same shape
     * @throws IllegalArgumentException naming a key the classifier lacks or a shape mismatch
     */
    void load(CheckpointView view) {
        trainable(false);
        for (String name : view.names()) {
            Parameter p = parameters.get(name);
            if (p == null) {
                throw new IllegalArgumentException("checkpoint key '" + name + "' is not a parameter of the classifier");
            }
            try (NDManager scratch = manager.newSubManager()) {
                NDArray v = view.load(name, scratch);
                if (!v.getShape().equals(p.getArray().getShape())) {
                    throw new IllegalArgumentException("checkpoint key '" + name + "' has shape " + v.getShape()
                            + ", the classifier's parameter " + p.getArray().getShape());
                }
                p.getArray().set(new NDIndex(":"), v);
            }
        }
    }

    /** Convenience: loads several checkpoints in order (later ones win on shared keys). */
    void load(CheckpointView... views) {
        for (CheckpointView v : views) {
            load(v);
        }
    }

    /**
     * @param set labelled examples (class indices from the set's label vocabulary)
     * @return fraction of examples whose arg-max logit is the true class
     */
    double accuracy(LabelledTextSet set) {
        return FineTuner.accuracy(FineTuner.predict(model, set, encoder, batchSize, manager));
    }

    /**
     * Accuracy and the F1 score of one class, from one pass over the set.
     *
     * @param set labelled examples
     * @param positive the label whose F1 is wanted (e.g. {@code "spam"})
     * @return {@code {accuracy, F1 of positive}}
     * @throws IllegalArgumentException if {@code positive} is not one of the set's labels
     */
    double[] accuracyAndF1(LabelledTextSet set, String positive) {
        if (!set.labels().contains(positive)) {
            throw new IllegalArgumentException("label '" + positive + "' is not one of the set's labels " + set.labels());
        }
        FineTuner.Predictions p = FineTuner.predict(model, set, encoder, batchSize, manager);
        ClassificationMetrics m = ClassificationMetrics.of(p.predicted(), p.actual(), Collections.nCopies(p.actual().length, "all"),
                set.labelIndex(positive), p.meanLoss());
        return new double[] {m.accuracy(), m.positiveF1()};
    }

    /**
     * Mean-pooled encoder outputs over the real tokens, as the head sees them.
     *
     * @param set the texts
     * @param normalize whether each row is scaled to unit L2 norm
     * @param owner manager that owns the result
     * @return {@code [n, hidden]} float32
     */
    NDArray embeddings(LabelledTextSet set, boolean normalize, NDManager owner) {
        Block bert = BlockPaths.get(model, "bert");
        List<LabelledText> items = set.items();
        int n = items.size();
        float[] all = null;
        int hidden = -1;
        for (int start = 0; start < n; start += batchSize) {
            List<String> texts = items.subList(start, Math.min(n, start + batchSize)).stream().map(LabelledText::text).toList();
            try (NDManager sm = manager.newSubManager()) {
                NDList inputs = encoder.encode(texts, sm);
                NDArray states = bert.forward(new ParameterStore(sm, false), inputs, false).get(0);
                float[] pooled = BertSentenceEmbedder.meanPool(states, inputs.get(1), normalize).toFloatArray();
                if (all == null) {
                    hidden = pooled.length / texts.size();
                    all = new float[n * hidden];
                }
                System.arraycopy(pooled, 0, all, start * hidden, pooled.length);
            }
        }
        return owner.create(all, new Shape(n, hidden)).toType(DataType.FLOAT32, false);
    }

    /** The checkpoint of the given arrays (they stay owned by their manager). */
    static InMemoryCheckpoint view(Map<String, NDArray> weights) {
        return InMemoryCheckpoint.of(weights);
    }
}

package org.peft4j.benchmarks.workload;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;

/**
 * Softmax cross-entropy on the last output of a model whose forward pass returns several arrays
 * ({@code last_hidden_state}, ..., logits {@code [B, labels]} last), as the workload's classifier
 * does; DJL's own loss expects the logits alone.
 */
public final class LogitsLoss extends Loss {

    private final Loss crossEntropy = Loss.softmaxCrossEntropyLoss();

    /** Creates the loss. */
    public LogitsLoss() {
        super("LogitsSoftmaxCrossEntropy");
    }

    /**
     * Returns the mean cross-entropy of the logits against the labels.
     *
     * @param labels int64 {@code [B]}
     * @param predictions the model's outputs, logits last
     * @return a scalar
     */
    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        return crossEntropy.evaluate(labels, new NDList(predictions.get(predictions.size() - 1)));
    }
}

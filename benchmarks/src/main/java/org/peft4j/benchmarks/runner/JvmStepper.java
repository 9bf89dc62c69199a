package org.peft4j.benchmarks.runner;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;

import org.peft4j.benchmarks.workload.RowKind;
import org.peft4j.benchmarks.workload.WorkloadInputs;

/**
 * Runs one step of a row on the JVM: a forward pass without gradients, or forward + cross-entropy +
 * backward + AdamW update (lr 1e-4, weight decay 0.01) of the trainable parameters. Every step runs
 * in its own sub-manager that is closed before the step's time is taken, so freeing the step's
 * arrays is part of the step, as it is in Python.
 */
public final class JvmStepper implements AutoCloseable {

    private final Block block;
    private final RowKind kind;
    private final WorkloadInputs inputs;
    private final NDManager manager;
    private final Model model;
    private final Trainer trainer;
    private final Loss loss = Loss.softmaxCrossEntropyLoss();
    private boolean readLoss;
    private float lastLoss = Float.NaN;

    /**
     * Prepares the stepper (for training: a DJL trainer over the block's trainable parameters).
     *
     * @param block the model; logits are its last output
     * @param kind what a step does
     * @param inputs the batch
     * @param manager the long-lived manager (its device is used)
     */
    public JvmStepper(Block block, RowKind kind, WorkloadInputs inputs, NDManager manager) {
        this.block = block;
        this.kind = kind;
        this.inputs = inputs;
        this.manager = manager;
        if (kind == RowKind.TRAINING) {
            model = Model.newInstance("peft4j-benchmark", manager.getDevice());
            model.setBlock(block);
            Optimizer adamw = Optimizer.adamW().optLearningRateTracker(Tracker.fixed(1e-4f)).optWeightDecays(0.01f).build();
            trainer = model.newTrainer(new DefaultTrainingConfig(loss).optOptimizer(adamw).optDevices(new ai.djl.Device[] {manager.getDevice()}));
        } else {
            model = null;
            trainer = null;
        }
    }

    /**
     * Runs one step.
     *
     * @return its wall time in milliseconds
     */
    public double step() {
        long t0 = System.nanoTime();
        try (NDManager sm = manager.newSubManager()) {
            NDList in = inputs.toNDList(sm);
            if (kind == RowKind.TRAINING) {
                NDArray labels = inputs.labels(sm);
                try (GradientCollector gc = trainer.newGradientCollector()) {
                    NDList out = trainer.forward(in);
                    NDArray l = loss.evaluate(new NDList(labels), new NDList(out.get(out.size() - 1)));
                    gc.backward(l);
                    if (readLoss) {
                        lastLoss = l.getFloat();
                    }
                }
                trainer.step();
            } else {
                block.forward(new ParameterStore(sm, false), in, false);
            }
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    /**
     * Makes the training steps that follow copy their loss to Java, where {@link #lastLoss()} reads
     * it. Off by default: the copy waits for the forward pass, which the timed rows do not need.
     *
     * @param on whether to read the loss
     */
    public void readLoss(boolean on) {
        this.readLoss = on;
    }

    /**
     * Returns the mean cross-entropy of the last training step run with {@link #readLoss} on.
     *
     * @return the loss in nats, or NaN if no such step ran
     */
    public float lastLoss() {
        return lastLoss;
    }

    /**
     * Runs the model in inference mode and returns its outputs.
     *
     * @param sm the owner of the outputs
     * @return the block's outputs ({@code last_hidden_state} first, logits last)
     */
    public NDList evaluate(NDManager sm) {
        return block.forward(new ParameterStore(sm, false), inputs.toNDList(sm), false);
    }

    @Override
    public void close() {
        if (trainer != null) {
            trainer.close();
        }
        if (model != null) {
            model.close();
        }
    }
}

package org.peft4j.merge.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * Fine-tuning transfer: a task vector computed on one base checkpoint, added to another checkpoint
 * of the same architecture, {@code theta = theta_target + scale * tau} for every key of the task
 * vector; other target tensors pass through unchanged. Every task-vector key must exist in the
 * target with the same shape; this is checked when the view is created.
 */
public final class FineTuneTransfer implements CheckpointView {

    private final CheckpointView taskVector;
    private final CheckpointView target;
    private final double scale;

    private FineTuneTransfer(CheckpointView taskVector, CheckpointView target, double scale) {
        this.taskVector = taskVector;
        this.target = target;
        this.scale = scale;
        for (String name : taskVector.names()) {
            if (!target.contains(name)) {
                throw new MissingTensorException(name, "the target checkpoint");
            }
            TensorSpec t = target.spec(name);
            TensorSpec tau = taskVector.spec(name);
            if (!t.shape().equals(tau.shape())) {
                throw new ShapeMismatchException(name, "the task vector", tau.shape(), "the target", t.shape());
            }
            if (!t.isFloating()) {
                throw new IllegalArgumentException("tensor '" + name + "' of the target is " + t.dataType()
                        + "; a task vector applies to floating tensors only");
            }
        }
    }

    /**
     * Applies a task vector to a target checkpoint, lazily.
     *
     * @param taskVector task vector, for example {@link TaskVector#between}
     * @param target checkpoint of the same architecture
     * @param scale multiplier of the task vector (1 applies it as is)
     * @return the transferred checkpoint
     * @throws MissingTensorException if a task-vector key is absent from the target
     * @throws ShapeMismatchException naming the key and both shapes
     */
    public static FineTuneTransfer apply(CheckpointView taskVector, CheckpointView target, double scale) {
        if (!Double.isFinite(scale)) {
            throw new IllegalArgumentException("scale must be finite, got " + scale);
        }
        return new FineTuneTransfer(taskVector, target, scale);
    }

    /** {@inheritDoc} */
    @Override
    public List<String> names() {
        return target.names();
    }

    /** {@inheritDoc} */
    @Override
    public boolean contains(String name) {
        return target.contains(name);
    }

    /** {@inheritDoc} */
    @Override
    public TensorSpec spec(String name) {
        return target.spec(name);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray load(String name, NDManager manager) {
        NDArray t = target.load(name, manager);
        if (!taskVector.contains(name)) {
            return t;
        }
        try (NDArray tau = taskVector.load(name, manager)) {
            return scale == 1.0 ? t.addi(tau) : t.addi(tau.muli(scale));
        }
    }
}

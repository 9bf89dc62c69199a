package org.peft4j.merge.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The task vector {@code tau = theta_ft - theta_base} of a fine-tuned checkpoint (Ilharco et al.,
 * ICLR 2023), computed lazily per tensor. It covers the floating tensors present in both
 * checkpoints; keys only the fine-tuned checkpoint has (a new classification head) and integer
 * tensors are left out and listed by {@link #excludedKeys()}. Keys only the base has are ignored.
 * Shapes are checked when the view is created.
 */
public final class TaskVector implements CheckpointView {

    private final CheckpointView finetuned;
    private final CheckpointView base;
    private final List<String> names;
    private final Set<String> nameSet;
    private final List<String> excluded;

    private TaskVector(CheckpointView finetuned, CheckpointView base) {
        this.finetuned = finetuned;
        this.base = base;
        List<String> kept = new ArrayList<>();
        List<String> left = new ArrayList<>();
        for (String name : finetuned.names()) {
            TensorSpec ft = finetuned.spec(name);
            if (!ft.isFloating() || !base.contains(name)) {
                left.add(name);
                continue;
            }
            TensorSpec b = base.spec(name);
            if (!b.shape().equals(ft.shape())) {
                throw new ShapeMismatchException(name, "the fine-tuned checkpoint", ft.shape(), "the base", b.shape());
            }
            kept.add(name);
        }
        this.names = Collections.unmodifiableList(kept);
        this.nameSet = new HashSet<>(kept);
        this.excluded = Collections.unmodifiableList(left);
    }

    /**
     * Creates the task vector view.
     *
     * @param finetuned fine-tuned checkpoint
     * @param base the checkpoint it was fine-tuned from
     * @return {@code finetuned - base}, lazily
     * @throws ShapeMismatchException naming the key and both shapes
     */
    public static TaskVector between(CheckpointView finetuned, CheckpointView base) {
        return new TaskVector(finetuned, base);
    }

    /**
     * @return keys of the fine-tuned checkpoint left out of the task vector (absent from the base, or
     *     not floating)
     */
    public List<String> excludedKeys() {
        return excluded;
    }

    /** {@inheritDoc} */
    @Override
    public List<String> names() {
        return names;
    }

    /** {@inheritDoc} */
    @Override
    public boolean contains(String name) {
        return nameSet.contains(name);
    }

    /** {@inheritDoc} */
    @Override
    public TensorSpec spec(String name) {
        require(name);
        return new TensorSpec(name, finetuned.spec(name).shape(), DataType.FLOAT32);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray load(String name, NDManager manager) {
        require(name);
        NDArray ft = finetuned.load(name, manager);
        try (NDArray b = base.load(name, manager)) {
            return ft.subi(b);
        }
    }

    private void require(String name) {
        if (!nameSet.contains(name)) {
            throw new MissingTensorException(name, "the task vector");
        }
    }
}

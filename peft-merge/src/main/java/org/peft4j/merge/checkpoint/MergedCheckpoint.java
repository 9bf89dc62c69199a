package org.peft4j.merge.checkpoint;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.peft4j.core.PeftException;
import org.peft4j.merge.method.MergeMethod;

/**
 * A merge of several input checkpoints (and a base, for methods that use one), computed lazily one
 * tensor at a time: {@link #load} reads that tensor from the base and every input, applies the
 * {@link MergeMethod}, frees everything but the result.
 *
 * <p>Keys: with a base, the base's keys in its order, followed by new keys of the inputs as {@link
 * NewKeyPolicy} says; without a base, the first input's keys. Floating tensors are merged; integer
 * tensors (position ids, counters) are copied from the base (or the first input), and so are the keys
 * the method takes from the first input ({@link MergeMethod#takesFromFirstInput}). Every input must
 * hold every merged key with the same shape; this is checked when the view is created, so a bad
 * input fails before anything is written.
 */
public final class MergedCheckpoint implements CheckpointView {

    private final CheckpointView base;
    private final List<CheckpointView> inputs;
    private final MergeMethod method;
    private final List<String> names;
    private final Set<String> nameSet;
    private final Map<String, CheckpointView> copiedFrom;

    private MergedCheckpoint(
            CheckpointView base, List<CheckpointView> inputs, MergeMethod method, NewKeyPolicy policy) {
        this.base = base;
        this.inputs = List.copyOf(inputs);
        this.method = method;
        Map<String, CheckpointView> copies = new HashMap<>();
        Set<String> keys = new LinkedHashSet<>();
        CheckpointView reference = base != null ? base : inputs.get(0);
        String referenceName = base != null ? "the base" : "input 0";
        for (String name : reference.names()) {
            keys.add(name);
            TensorSpec ref = reference.spec(name);
            if (!ref.isFloating()) {
                copies.put(name, reference);
                continue;
            }
            if (method.takesFromFirstInput(name)) {
                // kept as fine-tuned: read from input 0 only, so its shape may differ (a new task's head)
                if (!inputs.get(0).contains(name)) {
                    throw new MissingTensorException(name, "input 0");
                }
                copies.put(name, inputs.get(0));
                continue;
            }
            for (int i = 0; i < inputs.size(); i++) {
                CheckpointView in = inputs.get(i);
                if (!in.contains(name)) {
                    throw new MissingTensorException(name, "input " + i);
                }
                TensorSpec s = in.spec(name);
                if (!s.shape().equals(ref.shape())) {
                    throw new ShapeMismatchException(name, referenceName, ref.shape(), "input " + i, s.shape());
                }
            }
        }
        if (base != null) {
            for (int i = 0; i < inputs.size(); i++) {
                for (String name : inputs.get(i).names()) {
                    if (keys.contains(name) || base.contains(name)) {
                        continue;
                    }
                    switch (policy) {
                        case FAIL:
                            throw new PeftException(
                                    "tensor '" + name + "' of input " + i + " is absent from the base;"
                                            + " newKeys is FAIL (allowed: KEEP_FIRST_INPUT, DROP, FAIL)");
                        case DROP:
                            break;
                        case KEEP_FIRST_INPUT:
                            keys.add(name);
                            copies.put(name, inputs.get(i));
                            break;
                        default:
                            throw new IllegalArgumentException("unknown newKeys " + policy);
                    }
                }
            }
        }
        this.names = Collections.unmodifiableList(new ArrayList<>(keys));
        this.nameSet = keys;
        this.copiedFrom = copies;
    }

    /**
     * Merges with a base; new keys of the inputs are kept from the first input that has them.
     *
     * @param base base checkpoint (ignored by methods that do not use one, but still the key list)
     * @param inputs input checkpoints, in weight order
     * @param method per-tensor merge method
     * @return the lazy merged checkpoint
     */
    public static MergedCheckpoint of(CheckpointView base, List<CheckpointView> inputs, MergeMethod method) {
        return of(base, inputs, method, NewKeyPolicy.KEEP_FIRST_INPUT);
    }

    /**
     * Merges with a base and an explicit policy for keys the base lacks.
     *
     * @param base base checkpoint, or null for methods that do not use one
     * @param inputs input checkpoints, in weight order
     * @param method per-tensor merge method
     * @param newKeys what to do with keys the inputs have and the base lacks
     * @return the lazy merged checkpoint
     * @throws MissingTensorException if an input lacks a key that is merged
     * @throws ShapeMismatchException naming the key and both shapes
     */
    public static MergedCheckpoint of(
            CheckpointView base, List<CheckpointView> inputs, MergeMethod method, NewKeyPolicy newKeys) {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(newKeys, "newKeys");
        if (inputs == null || inputs.isEmpty()) {
            throw new IllegalArgumentException("inputs must hold at least one checkpoint");
        }
        if (base == null && method.usesBase()) {
            throw new IllegalArgumentException("this merge method needs a base checkpoint, got none");
        }
        method.requireInputCount(inputs.size());
        return new MergedCheckpoint(base, inputs, method, newKeys);
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
        CheckpointView copy = copiedFrom.get(name);
        if (copy != null) {
            return copy.spec(name);
        }
        CheckpointView reference = base != null ? base : inputs.get(0);
        if (!reference.contains(name)) {
            throw new MissingTensorException(name, "the merged checkpoint");
        }
        return new TensorSpec(name, reference.spec(name).shape(), DataType.FLOAT32);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray load(String name, NDManager manager) {
        CheckpointView copy = copiedFrom.get(name);
        if (copy != null) {
            return copy.load(name, manager);
        }
        spec(name);
        try (NDManager scratch = manager.newSubManager()) {
            NDArray baseTensor = method.usesBase() ? base.load(name, scratch) : null;
            NDArray stacked;
            if (scratch.getDevice().equals(Device.cpu())) {
                // read every input straight into its row of the stack: no second copy
                Shape shape = spec(name).shape();
                stacked = scratch.create(new Shape(inputs.size()).addAll(shape), DataType.FLOAT32);
                for (int i = 0; i < inputs.size(); i++) {
                    try (NDArray row = stacked.get(i)) {
                        inputs.get(i).loadInto(name, row);
                    }
                }
            } else {
                NDList loaded = new NDList(inputs.size());
                for (CheckpointView in : inputs) {
                    loaded.add(in.load(name, scratch));
                }
                stacked = NDArrays.stack(loaded, 0);
                loaded.close();
            }
            NDArray merged = method.mergeOverwriting(name, baseTensor, stacked);
            merged.attach(manager);
            return merged;
        }
    }
}

package org.peft4j.merge.lines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.List;
import org.peft4j.merge.checkpoint.CheckpointView;
import org.peft4j.merge.checkpoint.MissingTensorException;
import org.peft4j.merge.method.MergeMethod;
import org.peft4j.merge.method.TaskArithmetic;
import org.peft4j.merge.method.TaskVectorCombiner;

/**
 * LiNeS applied to a merged task vector: {@code theta = theta_base + lambda(key) * combine(theta_i -
 * theta_base)} ({@code combine} is task arithmetic, TIES, DARE...). With one input and {@link
 * TaskArithmetic} weight 1 this is the single-task form; the final model uses coefficient 1, as in
 * the paper.
 *
 * <p>A trained head stays as fine-tuned, outside the task vector (methods-spec.md Choices #12). Keys
 * the base lacks are never merged: {@link org.peft4j.merge.checkpoint.MergedCheckpoint} keeps them
 * from the first input that has them (by default). A head the base also carries (randomly
 * initialised, or trained for another task) would be scaled by {@code alpha} like every tensor
 * outside the blocks, unless {@link #keep()} selects it: such a key is taken from the first input
 * unchanged, the same tensor the no-base-key path keeps, and left out of {@link #multiTaskAlpha}'s
 * norms.
 *
 * @param combiner how the task vectors are merged (the official code's task arithmetic is a plain
 *     sum, methods-spec.md Choices #10)
 * @param schedule the per-block scales
 * @param keep keys taken from the first input as fine-tuned (default {@link FineTunedKeys#none()})
 */
public record LinesMerge(TaskVectorCombiner combiner, LinesSchedule schedule, FineTunedKeys keep)
        implements MergeMethod {

    /** Validates. */
    public LinesMerge {
        if (combiner == null || schedule == null || keep == null) {
            throw new IllegalArgumentException("combiner, schedule and keep must not be null");
        }
    }

    /**
     * Keeps no key as fine-tuned beyond those the base lacks.
     *
     * @param combiner how the task vectors are merged
     * @param schedule the per-block scales
     */
    public LinesMerge(TaskVectorCombiner combiner, LinesSchedule schedule) {
        this(combiner, schedule, FineTunedKeys.none());
    }

    /**
     * The same merge keeping other keys as fine-tuned.
     *
     * @param newKeep keys taken from the first input unchanged
     * @return a new merge
     */
    public LinesMerge withKeep(FineTunedKeys newKeep) {
        return new LinesMerge(combiner, schedule, newKeep);
    }

    /** {@inheritDoc} */
    @Override
    public boolean usesBase() {
        return true;
    }

    /** {@inheritDoc} */
    @Override
    public void requireInputCount(int inputCount) {
        combiner.weights().requireInputModels(inputCount);
    }

    /** The keys of {@link #keep()}: taken from the first input, whatever the base holds. */
    @Override
    public boolean takesFromFirstInput(String tensorName) {
        return keep.matches(tensorName);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray mergeOverwriting(String tensorName, NDArray base, NDArray inputs) {
        if (keep.matches(tensorName)) {
            try (NDArray first = inputs.get(0)) {
                return first.duplicate(); // as fine-tuned, from the first input
            }
        }
        double lambda = schedule.lambda(tensorName);
        NDArray result;
        try (NDScope scope = new NDScope()) {
            result = combiner.combineOverwriting(tensorName, inputs.subi(base)).muli(lambda).addi(base);
            NDScope.unregister(result);
        }
        NDScope.register(result);
        return result;
    }

    /**
     * The multi-task {@code alpha = (1/T) ||sum_t tau_t||_1 / ||tau_merged||_1}, L1 norms over the
     * whole checkpoint (every floating key of the base that every input has), computed in one
     * streaming pass (paper 5.3; {@code 1/T} for plain task arithmetic).
     *
     * @param base base checkpoint
     * @param inputs fine-tuned checkpoints, {@code T} of them
     * @param combiner the merge whose task vector LiNeS will scale
     * @param manager where temporaries are created (its device); nothing is left in it
     * @return alpha
     */
    public static double multiTaskAlpha(
            CheckpointView base, List<CheckpointView> inputs, TaskVectorCombiner combiner, NDManager manager) {
        return multiTaskAlpha(base, inputs, combiner, FineTunedKeys.none(), manager);
    }

    /**
     * The multi-task {@code alpha} of {@link #multiTaskAlpha(CheckpointView, List, TaskVectorCombiner,
     * NDManager)} with the keys kept as fine-tuned left out of both norms (they are outside the task
     * vector).
     *
     * @param base base checkpoint
     * @param inputs fine-tuned checkpoints, {@code T} of them
     * @param combiner the merge whose task vector LiNeS will scale
     * @param keep keys outside the task vector (pass the merge's {@link #keep()})
     * @param manager where temporaries are created (its device); nothing is left in it
     * @return alpha
     */
    public static double multiTaskAlpha(
            CheckpointView base,
            List<CheckpointView> inputs,
            TaskVectorCombiner combiner,
            FineTunedKeys keep,
            NDManager manager) {
        if (inputs == null || inputs.isEmpty()) {
            throw new IllegalArgumentException("inputs must hold at least one checkpoint");
        }
        if (keep == null) {
            throw new IllegalArgumentException("keep must not be null (use FineTunedKeys.none())");
        }
        double sumNorm = 0;
        double mergedNorm = 0;
        for (String name : base.names()) {
            if (!base.spec(name).isFloating() || keep.matches(name)) {
                continue;
            }
            try (NDManager scratch = manager.newSubManager()) {
                NDArray b = base.load(name, scratch);
                NDList taus = new NDList(inputs.size());
                for (int i = 0; i < inputs.size(); i++) {
                    if (!inputs.get(i).contains(name)) {
                        throw new MissingTensorException(name, "input " + i);
                    }
                    taus.add(inputs.get(i).load(name, scratch).subi(b));
                }
                NDArray stacked = NDArrays.stack(taus, 0);
                // per-tensor L1 norms in float32, accumulated over the checkpoint in double
                sumNorm += stacked.sum(new int[] {0}).abs().sum().getFloat();
                mergedNorm += combiner.combineOverwriting(name, stacked).abs().sum().getFloat();
            }
        }
        if (mergedNorm == 0.0) {
            throw new IllegalArgumentException("the merged task vector is zero; alpha is undefined");
        }
        return sumNorm / (inputs.size() * mergedNorm);
    }
}

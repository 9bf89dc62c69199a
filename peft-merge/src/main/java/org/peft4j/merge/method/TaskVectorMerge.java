package org.peft4j.merge.method;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

/**
 * {@code theta = theta_base + lambda * combine(theta_i - theta_base)}: task arithmetic, TIES, DARE
 * on full checkpoints (mergekit {@code task_arithmetic}, {@code ties}, {@code dare_linear}, {@code
 * dare_ties} with its {@code lambda}, default 1).
 *
 * @param combiner how the task vectors are combined
 * @param lambda scale of the merged task vector
 */
public record TaskVectorMerge(TaskVectorCombiner combiner, double lambda) implements MergeMethod {

    /** Validates. */
    public TaskVectorMerge {
        if (combiner == null) {
            throw new IllegalArgumentException("combiner must not be null");
        }
        if (!Double.isFinite(lambda)) {
            throw new IllegalArgumentException("lambda must be finite, got " + lambda);
        }
    }

    /**
     * With {@code lambda = 1}.
     *
     * @param combiner how the task vectors are combined
     * @return the method
     */
    public static TaskVectorMerge of(TaskVectorCombiner combiner) {
        return new TaskVectorMerge(combiner, 1.0);
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

    /** {@inheritDoc} */
    @Override
    public NDArray mergeOverwriting(String tensorName, NDArray base, NDArray inputs) {
        NDArray result;
        try (NDScope scope = new NDScope()) {
            NDArray taus = inputs.subi(base);
            result = combiner.combineOverwriting(tensorName, taus);
            if (lambda != 1.0) {
                result.muli(lambda);
            }
            result.addi(base);
            NDScope.unregister(result);
        }
        NDScope.register(result);
        return result;
    }
}

package org.peft4j.merge.method;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

/**
 * Task arithmetic: {@code sum_i w_i tau_i} (PEFT {@code merge_utils.task_arithmetic}; Ilharco et
 * al. 2023), optionally divided by {@code sum_i w_i} (mergekit {@code normalize}, default false for
 * {@code task_arithmetic}; a divisor with {@code |sum w| < 1e-8} is replaced by 1, as mergekit does).
 *
 * @param weights one weight per task
 * @param normalize whether to divide by the sum of the weights
 */
public record TaskArithmetic(Weights weights, boolean normalize) implements TaskVectorCombiner {

    /** Validates. */
    public TaskArithmetic {
        if (weights == null) {
            throw new IllegalArgumentException("weights must not be null");
        }
    }

    /**
     * {@code sum_i w_i tau_i}, not normalised (PEFT).
     *
     * @param weights one weight per task
     * @return the combiner
     */
    public static TaskArithmetic of(double... weights) {
        return new TaskArithmetic(Weights.of(weights), false);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray combineOverwriting(String tensorName, NDArray taus) {
        weights.requireMatches(taus);
        NDArray result;
        try (NDScope scope = new NDScope()) {
            if (!weights.allOnes()) {
                taus.muli(weights.broadcastTo(taus));
            }
            result = StackSum.intoFirstRow(taus);
            if (normalize) {
                double divisor = weights.sum();
                result.divi(Math.abs(divisor) < 1e-8 ? 1.0 : divisor);
            }
            NDScope.unregister(result);
        }
        NDScope.register(result);
        return result;
    }

    /** {@inheritDoc} */
    @Override
    public TaskArithmetic withWeights(Weights newWeights) {
        return new TaskArithmetic(newWeights, normalize);
    }
}

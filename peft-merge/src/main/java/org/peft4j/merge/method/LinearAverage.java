package org.peft4j.merge.method;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

/**
 * Weighted average of parameters, no base model: {@code sum_i w_i theta_i / sum_i w_i} with {@code
 * normalize} (mergekit {@code linear}, whose default is {@code normalize: true}), else {@code sum_i
 * w_i theta_i}. With equal weights it is the uniform model soup.
 *
 * @param weights one weight per input model
 * @param normalize whether to divide by the sum of the weights
 */
public record LinearAverage(Weights weights, boolean normalize) implements MergeMethod {

    /** Validates: with {@code normalize} the weights must not sum to 0. */
    public LinearAverage {
        if (weights == null) {
            throw new IllegalArgumentException("weights must not be null");
        }
        if (normalize && weights.sum() == 0.0) {
            throw new IllegalArgumentException(
                    "weights " + weights + " sum to 0; normalize=true needs a non-zero sum");
        }
    }

    /**
     * The uniform soup: equal weights, normalised (mean of the parameters).
     *
     * @param count number of models
     * @return the method
     */
    public static LinearAverage uniform(int count) {
        return new LinearAverage(Weights.ones(count), true);
    }

    /** {@inheritDoc} */
    @Override
    public boolean usesBase() {
        return false;
    }

    /** {@inheritDoc} */
    @Override
    public void requireInputCount(int inputCount) {
        weights.requireInputModels(inputCount);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray mergeOverwriting(String tensorName, NDArray base, NDArray inputs) {
        NDArray result;
        try (NDScope scope = new NDScope()) {
            result = inputs.muli(weights.broadcastTo(inputs)).sum(new int[] {0});
            if (normalize) {
                result.divi(weights.sum());
            }
            NDScope.unregister(result);
        }
        NDScope.register(result);
        return result;
    }
}

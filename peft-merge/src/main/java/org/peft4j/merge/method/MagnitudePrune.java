package org.peft4j.merge.method;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import org.peft4j.merge.sparsify.Density;
import org.peft4j.merge.sparsify.MagnitudePruning;

/**
 * Magnitude-pruned task arithmetic: {@code sum_i w_i * magprune(tau_i, density)} (PEFT {@code
 * merge_utils.magnitude_prune}).
 *
 * @param weights one weight per task
 * @param density fraction of entries kept per task tensor, in (0, 1]
 */
public record MagnitudePrune(Weights weights, double density) implements TaskVectorCombiner {

    /** Validates. */
    public MagnitudePrune {
        if (weights == null) {
            throw new IllegalArgumentException("weights must not be null");
        }
        Density.require(density);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray combineOverwriting(String tensorName, NDArray taus) {
        weights.requireMatches(taus);
        NDArray result;
        try (NDScope scope = new NDScope()) {
            MagnitudePruning.pruneEachInPlace(taus, density);
            result = StackSum.intoFirstRow(weights.allOnes() ? taus : taus.muli(weights.broadcastTo(taus)));
            NDScope.unregister(result);
        }
        NDScope.register(result);
        return result;
    }

    /** {@inheritDoc} */
    @Override
    public MagnitudePrune withWeights(Weights newWeights) {
        return new MagnitudePrune(newWeights, density);
    }
}

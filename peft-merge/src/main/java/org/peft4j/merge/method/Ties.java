package org.peft4j.merge.method;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import org.peft4j.merge.consensus.MajoritySignMask;
import org.peft4j.merge.consensus.SignElection;
import org.peft4j.merge.sparsify.Density;
import org.peft4j.merge.sparsify.MagnitudePruning;

/**
 * TIES-merging (Yadav et al., NeurIPS 2023): trim each task vector to its top {@code density}
 * magnitudes, elect a sign per entry, average the entries that agree. With {@link TiesVariant#PEFT}
 * (the default) this is PEFT {@code merge_utils.ties}: {@code P_i = magprune(tau_i, density)}, mask
 * from the majority sign of the unweighted {@code P}, result {@code disjoint_merge(w_i P_i, mask)}.
 * PEFT's example: {@code ties([1,-2,3,0], [-1,-1,1,2], w=[1,1], density=1) = [1,-1.5,2,2]}.
 *
 * @param weights one weight per task
 * @param density fraction of entries kept per task tensor, in (0, 1]
 * @param election how the majority sign is elected
 * @param variant which consensus rule
 */
public record Ties(Weights weights, double density, SignElection election, TiesVariant variant)
        implements TaskVectorCombiner {

    /** Validates. */
    public Ties {
        if (weights == null || election == null || variant == null) {
            throw new IllegalArgumentException("weights, election and variant must not be null");
        }
        Density.require(density);
    }

    /**
     * PEFT TIES with sign election {@link SignElection#TOTAL}.
     *
     * @param density fraction kept, in (0, 1]
     * @param weights one weight per task
     * @return the combiner
     */
    public static Ties of(double density, double... weights) {
        return new Ties(Weights.of(weights), density, SignElection.TOTAL, TiesVariant.PEFT);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray combineOverwriting(String tensorName, NDArray taus) {
        weights.requireMatches(taus);
        NDArray result;
        try (NDScope scope = new NDScope()) {
            MagnitudePruning.pruneEachInPlace(taus, density);
            result = consensusMean(taus, weights, election, variant);
            NDScope.unregister(result);
        }
        NDScope.register(result);
        return result;
    }

    /**
     * Sign election and the disjoint mean on already sparsified task vectors (shared by TIES and
     * DARE-TIES). Overwrites {@code sparse} to save memory.
     *
     * @param sparse sparsified task vectors {@code [T, ...]}, overwritten
     * @param weights one weight per task
     * @param election sign election
     * @param variant consensus rule
     * @return merged {@code [...]} in {@code sparse}'s manager
     */
    static NDArray consensusMean(
            NDArray sparse, Weights weights, SignElection election, TiesVariant variant) {
        NDArray result;
        try (NDScope scope = new NDScope()) {
            NDArray w = weights.broadcastTo(sparse);
            NDArray divisor;
            if (variant == TiesVariant.PEFT) {
                // sign elected on the unweighted tensors; mean over the agreeing count (at least 1)
                NDArray mask = MajoritySignMask.of(sparse, election);
                divisor = mask.sum(new int[] {0}).maximum(1f);
                sparse.muli(mask).muli(w);
                mask.close();
            } else {
                // sign elected on w_i P_i; divided by the sum of agreeing weights (0 -> 1)
                sparse.muli(w);
                NDArray mask = MajoritySignMask.of(sparse, election);
                divisor = mask.mul(w).sum(new int[] {0});
                divisor.addi(divisor.eq(0f).toType(divisor.getDataType(), false));
                sparse.muli(mask);
                mask.close();
            }
            result = sparse.sum(new int[] {0}).divi(divisor);
            NDScope.unregister(result);
        }
        NDScope.register(result);
        return result;
    }

    /** {@inheritDoc} */
    @Override
    public Ties withWeights(Weights newWeights) {
        return new Ties(newWeights, density, election, variant);
    }
}

package org.peft4j.merge.method;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import org.peft4j.merge.consensus.DisjointMerge;
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
    public NDArray combine(String tensorName, NDArray taus) {
        weights.requireMatches(taus);
        NDArray result;
        try (NDScope scope = new NDScope()) {
            NDArray trimmed = MagnitudePruning.pruneEach(taus, density);
            result = consensusMean(trimmed, weights, election, variant);
            NDScope.unregister(result);
        }
        NDScope.register(result);
        return result;
    }

    /**
     * Sign election and the disjoint mean on already sparsified task vectors (shared by TIES and
     * DARE-TIES).
     *
     * @param sparse sparsified task vectors {@code [T, ...]}
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
            NDArray weighted = sparse.mul(w);
            if (variant == TiesVariant.PEFT) {
                NDArray mask = MajoritySignMask.of(sparse, election);
                result = DisjointMerge.of(weighted, mask);
            } else {
                NDArray mask = MajoritySignMask.of(weighted, election);
                NDArray divisor = mask.mul(w).sum(new int[] {0});
                // mergekit: divisor[divisor == 0] = 1
                divisor = divisor.add(divisor.eq(0f).toType(divisor.getDataType(), false));
                result = weighted.mul(mask).sum(new int[] {0}).div(divisor);
            }
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

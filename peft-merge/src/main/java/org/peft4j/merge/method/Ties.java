package org.peft4j.merge.method;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
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
            if (variant == TiesVariant.MERGEKIT) {
                sparse.muli(weights.broadcastTo(sparse)); // mergekit elects the sign of w_i P_i
            }
            NDArray majority = MajoritySignMask.majority(sparse, election);
            NDArray sum = majority.zerosLike();
            NDArray divisor = majority.zerosLike();
            // one task at a time keeps the temporaries to one tensor's worth
            for (int i = 0; i < weights.size(); i++) {
                try (NDArray row = sparse.get(i);
                        NDArray product = row.mul(majority);
                        NDArray agrees = product.gt(0f); // sign(row) == majority; a zero never agrees
                        NDArray agreeing = agrees.toType(DataType.FLOAT32, false)) {
                    row.muli(agreeing);
                    if (variant == TiesVariant.PEFT) {
                        // PEFT: disjoint mean of w_i P_i over the agreeing count
                        row.muli(weights.get(i));
                        divisor.addi(agreeing);
                    } else {
                        // mergekit: divided by the sum of the agreeing weights
                        divisor.addi(agreeing.muli(weights.get(i)));
                    }
                    sum.addi(row);
                }
            }
            if (variant == TiesVariant.PEFT) {
                divisor = divisor.maximum(1f); // clamp(count, min=1)
            } else {
                divisor.addi(divisor.eq(0f).toType(DataType.FLOAT32, false)); // divisor == 0 -> 1
            }
            result = sum.divi(divisor);
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

package org.peft4j.merge.method;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import org.peft4j.merge.consensus.SignElection;
import org.peft4j.merge.sparsify.MagnitudePruning;

/**
 * TIES-merging (Yadav et al., NeurIPS 2023): trim each task vector to its top {@code density}
 * magnitudes, elect a sign per entry, average the entries that agree. With {@link TiesVariant#PEFT}
 * (the default) this is PEFT {@code merge_utils.ties}: {@code P_i = magprune(tau_i, density)}, mask
 * from the majority sign of the unweighted {@code P}, result {@code disjoint_merge(w_i P_i, mask)}.
 * PEFT's example: {@code ties([1,-2,3,0], [-1,-1,1,2], w=[1,1], density=1) = [1,-1.5,2,2]}.
 *
 * <p>Each task tensor is trimmed with its own input's density when {@code densities} is per input
 * (mergekit's per-model {@code density}); PEFT uses one density for all.
 *
 * @param weights one weight per task
 * @param densities fraction of entries kept per task tensor, uniform or one per task, each in (0, 1]
 * @param election how the majority sign is elected
 * @param variant which consensus rule
 */
public record Ties(Weights weights, Densities densities, SignElection election, TiesVariant variant)
        implements TaskVectorCombiner {

    /**
     * Entries (over all tasks) processed together by the consensus step: 8 MiB of float32, reused
     * by the allocator; see {@link org.peft4j.merge.sparsify.MagnitudePruning} on the block size.
     */
    private static final long BLOCK = 1L << 21;

    /** Validates: per-input densities must have one value per weight. */
    public Ties {
        if (weights == null || densities == null || election == null || variant == null) {
            throw new IllegalArgumentException("weights, densities, election and variant must not be null");
        }
        densities.requireCount(weights.size());
    }

    /**
     * One density for every task.
     *
     * @param weights one weight per task
     * @param density fraction of entries kept per task tensor, in (0, 1]
     * @param election how the majority sign is elected
     * @param variant which consensus rule
     */
    public Ties(Weights weights, double density, SignElection election, TiesVariant variant) {
        this(weights, Densities.uniform(density), election, variant);
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

    /**
     * PEFT's TIES rule with sign election {@link SignElection#TOTAL}, each task trimmed to its own
     * density.
     *
     * @param densities fraction kept, uniform or one per task
     * @param weights one weight per task
     * @return the combiner
     */
    public static Ties of(Densities densities, double... weights) {
        return new Ties(Weights.of(weights), densities, SignElection.TOTAL, TiesVariant.PEFT);
    }

    /**
     * The same method with another consensus rule.
     *
     * @param newVariant consensus rule
     * @return a new combiner
     */
    public Ties withVariant(TiesVariant newVariant) {
        return new Ties(weights, densities, election, newVariant);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray combineOverwriting(String tensorName, NDArray taus) {
        weights.requireMatches(taus);
        NDArray result;
        try (NDScope scope = new NDScope()) {
            pruneEachInPlace(taus, densities);
            result = consensusMean(taus, weights, election, variant);
            NDScope.unregister(result);
        }
        NDScope.register(result);
        return result;
    }

    /**
     * Magnitude-prunes each task tensor of a stack in place with its own density.
     *
     * @param taus {@code [T, ...]} float32, overwritten
     * @param densities uniform or one per task
     */
    static void pruneEachInPlace(NDArray taus, Densities densities) {
        if (densities.isUniform()) {
            MagnitudePruning.pruneEachInPlace(taus, densities.get(0));
            return;
        }
        for (int i = 0; i < taus.getShape().get(0); i++) {
            try (NDArray row = taus.get(new NDIndex().addSliceDim(i, i + 1))) { // [1, ...], a view
                MagnitudePruning.pruneEachInPlace(row, densities.get(i));
            }
        }
    }

    /**
     * Sign election and the disjoint mean on already sparsified task vectors (shared by TIES and
     * DARE-TIES), a tie (zero vote) electing +1. Overwrites {@code sparse} and leaves the result in
     * its row 0.
     *
     * @param sparse sparsified task vectors {@code [T, ...]} float32, overwritten
     * @param weights one weight per task
     * @param election sign election
     * @param variant consensus rule
     * @return merged {@code [...]} in {@code sparse}'s manager: a view of {@code sparse}'s row 0
     */
    static NDArray consensusMean(
            NDArray sparse, Weights weights, SignElection election, TiesVariant variant) {
        return consensusMean(sparse, weights, election, variant, 1);
    }

    /**
     * Sign election and the disjoint mean on already sparsified task vectors, with the sign that an
     * entry whose votes sum to exactly 0 elects: +1 for PEFT and mergekit ({@link
     * org.peft4j.merge.consensus.MajoritySignMask}); the whole-model majority sign for the TIES
     * authors' code ({@link org.peft4j.merge.global.TiesOriginal}), where a majority of 0 selects
     * the negative entries and so is passed as -1. With {@link SignElection#TOTAL} the votes are the
     * task vectors summed in float32 in input order. Overwrites {@code sparse} to save memory and
     * leaves the result in its row 0.
     *
     * <p>Works through the entries in blocks of {@link #BLOCK} entries, so every temporary (the
     * elected sign, the agreement mask, the agreeing count) is a block-sized array (8 MiB at most)
     * reused by the allocator instead of a tensor-sized one paged in afresh for every tensor.
     *
     * @param sparse sparsified task vectors {@code [T, ...]} float32, overwritten
     * @param weights one weight per task
     * @param election sign election
     * @param variant consensus rule
     * @param zeroVoteSign sign elected where the votes sum to 0: +1 or -1
     * @return merged {@code [...]} float32 in {@code sparse}'s manager: a view of {@code sparse}'s
     *     row 0
     * @throws IllegalArgumentException if {@code zeroVoteSign} is neither +1 nor -1
     */
    public static NDArray consensusMean(
            NDArray sparse, Weights weights, SignElection election, TiesVariant variant, int zeroVoteSign) {
        if (zeroVoteSign != 1 && zeroVoteSign != -1) {
            throw new IllegalArgumentException("zeroVoteSign must be +1 or -1, got " + zeroVoteSign);
        }
        long tasks = sparse.getShape().get(0);
        long n = sparse.size() / tasks;
        NDArray result;
        try (NDScope scope = new NDScope()) {
            NDArray flat = sparse.reshape(tasks, n); // a view
            NDArray column = weights.broadcastTo(flat); // [T, 1]
            long columns = Math.max(1, BLOCK / tasks);
            for (long start = 0; start < n; start += columns) {
                try (NDScope block = new NDScope()) {
                    consensusMeanOfBlock(
                            flat.get(new NDIndex().addAllDim().addSliceDim(start, Math.min(n, start + columns))),
                            weights, column, election, variant, 0.5f * zeroVoteSign);
                }
            }
            result = flat.get(0).reshape(sparse.getShape().slice(1));
            NDScope.unregister(result);
        }
        NDScope.register(result);
        return result;
    }

    // part: [T, m], a view of the stack; its row 0 receives the merged values
    private static void consensusMeanOfBlock(
            NDArray part,
            Weights weights,
            NDArray column,
            SignElection election,
            TiesVariant variant,
            float halfZeroVoteSign) {
        if (variant.electsOnWeightedTensors()) {
            part.muli(column); // mergekit elects the sign of w_i P_i
        }
        NDArray votes = election == SignElection.TOTAL
                ? StackSum.ofRowsInOrder(part)
                : part.sign().sum(new int[] {0});
        // sign(votes) +- 1/2 is +-1.5 or +-0.5 where votes != 0, with the sign of votes, and
        // halfZeroVoteSign where votes == 0: its sign is the elected sign, +1 or -1
        NDArray elected = votes.signi().addi(halfZeroVoteSign).signi(); // [m]
        // Agreement in float arithmetic, in place: sign(P_i * elected) is 1 where P_i agrees, 0
        // where P_i is 0 (a zero never agrees) and -1 where it disagrees; minus 1, sign, plus 1 maps
        // that to 1, 0, 0. Exact (every value is -2..1), and cheaper than a comparison to a bool
        // mask and its conversion back to float, which cost libtorch several times a float op.
        NDArray agreeing = part.mul(elected).signi().subi(1f).signi().addi(1f); // [T, m]
        part.muli(agreeing);
        NDArray divisor;
        switch (variant) {
            case PEFT:
                // PEFT: disjoint mean of w_i P_i over the agreeing count, clamp(count, min=1)
                if (!weights.allOnes()) {
                    part.muli(column);
                }
                divisor = agreeing.sum(new int[] {0}).maximum(1f);
                break;
            case MERGEKIT:
                // mergekit, normalize: true: divided by the sum of the agreeing weights (0 -> 1)
                divisor = agreeing.muli(column).sum(new int[] {0});
                divisor.addi(divisor.eq(0f).toType(DataType.FLOAT32, false));
                break;
            default:
                // mergekit, normalize: false: the agreeing weighted entries summed
                StackSum.intoFirstRow(part);
                return;
        }
        StackSum.intoFirstRow(part).divi(divisor);
    }

    /** {@inheritDoc} */
    @Override
    public Ties withWeights(Weights newWeights) {
        return new Ties(newWeights, densities, election, variant);
    }
}

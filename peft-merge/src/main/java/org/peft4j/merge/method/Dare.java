package org.peft4j.merge.method;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import org.peft4j.merge.consensus.SignElection;
import org.peft4j.merge.sparsify.DareRescale;
import org.peft4j.merge.sparsify.Density;
import org.peft4j.merge.sparsify.MaskSource;
import org.peft4j.merge.sparsify.RandomPruning;

/**
 * DARE (Yu et al., ICML 2024, "Language Models are Super Mario"): drop each task-vector entry with
 * probability {@code 1 - density}, rescale the rest, then either sum ({@code dare_linear}: {@code
 * sum_i w_i P_i}) or apply the TIES consensus ({@code dare_ties}: majority sign of the unweighted
 * {@code P}, disjoint mean of {@code w_i P_i}), as PEFT {@code merge_utils.dare_linear} / {@code
 * dare_ties} do. PEFT rescales by {@code 1/density} ({@link DareRescale#INVERSE_DENSITY}, the
 * default here); mergekit's L1-norm rescale is {@link DareRescale#L1_NORM}.
 *
 * <p>Masks come from {@link #masks()}: by default {@link MaskSource#seeded(long)}, so a given seed,
 * tensor name and input index always give the same mask.
 *
 * @param weights one weight per task
 * @param density keep probability, in (0, 1]
 * @param rescale how kept entries are rescaled
 * @param masks where the keep-masks come from
 * @param consensus {@code null} for {@code dare_linear}; the sign election for {@code dare_ties}
 * @param variant TIES consensus rule when {@code consensus} is set
 */
public record Dare(
        Weights weights,
        double density,
        DareRescale rescale,
        MaskSource masks,
        SignElection consensus,
        TiesVariant variant)
        implements TaskVectorCombiner {

    /** Validates. */
    public Dare {
        if (weights == null || rescale == null || masks == null || variant == null) {
            throw new IllegalArgumentException("weights, rescale, masks and variant must not be null");
        }
        Density.require(density);
    }

    /**
     * PEFT {@code dare_linear}: rescale by 1/density, seeded masks.
     *
     * @param density keep probability, in (0, 1]
     * @param seed mask seed
     * @param weights one weight per task
     * @return the combiner
     */
    public static Dare linear(double density, long seed, double... weights) {
        return new Dare(
                Weights.of(weights),
                density,
                DareRescale.INVERSE_DENSITY,
                MaskSource.seeded(seed),
                null,
                TiesVariant.PEFT);
    }

    /**
     * PEFT {@code dare_ties} ({@code majority_sign_method="total"}): rescale by 1/density, seeded
     * masks.
     *
     * @param density keep probability, in (0, 1]
     * @param seed mask seed
     * @param weights one weight per task
     * @return the combiner
     */
    public static Dare ties(double density, long seed, double... weights) {
        return new Dare(
                Weights.of(weights),
                density,
                DareRescale.INVERSE_DENSITY,
                MaskSource.seeded(seed),
                SignElection.TOTAL,
                TiesVariant.PEFT);
    }

    /**
     * The same method with another mask source (for example fixed masks).
     *
     * @param newMasks mask source
     * @return a new combiner
     */
    public Dare withMasks(MaskSource newMasks) {
        return new Dare(weights, density, rescale, newMasks, consensus, variant);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray combineOverwriting(String tensorName, NDArray taus) {
        weights.requireMatches(taus);
        NDArray result;
        try (NDScope scope = new NDScope()) {
            if (density < 1.0) {
                for (int i = 0; i < weights.size(); i++) {
                    NDArray row = taus.get(i); // a view: pruning writes through to taus
                    try (NDArray mask = masks.mask(tensorName, i, row.getShape(), density, taus.getManager())) {
                        RandomPruning.applyInPlace(row, mask, density, rescale);
                    }
                }
            }
            if (consensus == null) {
                result = StackSum.intoFirstRow(weights.allOnes() ? taus : taus.muli(weights.broadcastTo(taus)));
            } else {
                result = Ties.consensusMean(taus, weights, consensus, variant);
            }
            NDScope.unregister(result);
        }
        NDScope.register(result);
        return result;
    }

    /** {@inheritDoc} */
    @Override
    public Dare withWeights(Weights newWeights) {
        return new Dare(newWeights, density, rescale, masks, consensus, variant);
    }
}

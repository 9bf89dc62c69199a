package org.peft4j.merge.method;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import org.peft4j.merge.consensus.SignElection;
import org.peft4j.merge.sparsify.DareRescale;
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
 * tensor name and input index always give the same mask. With per-input {@code densities}
 * (mergekit's per-model {@code density}) input {@code i}'s mask keeps entries with probability
 * {@code densities.get(i)} and its rescale uses that density.
 *
 * @param weights one weight per task
 * @param densities keep probability, uniform or one per task, each in (0, 1]
 * @param rescale how kept entries are rescaled
 * @param masks where the keep-masks come from
 * @param consensus {@code null} for {@code dare_linear}; the sign election for {@code dare_ties}
 * @param variant TIES consensus rule when {@code consensus} is set
 */
public record Dare(
        Weights weights,
        Densities densities,
        DareRescale rescale,
        MaskSource masks,
        SignElection consensus,
        TiesVariant variant)
        implements TaskVectorCombiner {

    /** Validates: per-input densities must have one value per weight. */
    public Dare {
        if (weights == null || densities == null || rescale == null || masks == null || variant == null) {
            throw new IllegalArgumentException("weights, densities, rescale, masks and variant must not be null");
        }
        densities.requireCount(weights.size());
    }

    /**
     * One keep probability for every task.
     *
     * @param weights one weight per task
     * @param density keep probability, in (0, 1]
     * @param rescale how kept entries are rescaled
     * @param masks where the keep-masks come from
     * @param consensus {@code null} for {@code dare_linear}; the sign election for {@code dare_ties}
     * @param variant TIES consensus rule when {@code consensus} is set
     */
    public Dare(
            Weights weights,
            double density,
            DareRescale rescale,
            MaskSource masks,
            SignElection consensus,
            TiesVariant variant) {
        this(weights, Densities.uniform(density), rescale, masks, consensus, variant);
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
     * PEFT's {@code dare_linear} rule (rescale by 1/density, seeded masks), each task with its own
     * keep probability.
     *
     * @param densities keep probability, uniform or one per task
     * @param seed mask seed
     * @param weights one weight per task
     * @return the combiner
     */
    public static Dare linear(Densities densities, long seed, double... weights) {
        return linear(1.0, seed, weights).withDensities(densities);
    }

    /**
     * PEFT's {@code dare_ties} rule ({@code majority_sign_method="total"}, rescale by 1/density,
     * seeded masks), each task with its own keep probability.
     *
     * @param densities keep probability, uniform or one per task
     * @param seed mask seed
     * @param weights one weight per task
     * @return the combiner
     */
    public static Dare ties(Densities densities, long seed, double... weights) {
        return ties(1.0, seed, weights).withDensities(densities);
    }

    /**
     * The same method with other keep probabilities (for example one per task).
     *
     * @param newDensities uniform or one per task
     * @return a new combiner
     */
    public Dare withDensities(Densities newDensities) {
        return new Dare(weights, newDensities, rescale, masks, consensus, variant);
    }

    /**
     * The same method with another mask source (for example fixed masks).
     *
     * @param newMasks mask source
     * @return a new combiner
     */
    public Dare withMasks(MaskSource newMasks) {
        return new Dare(weights, densities, rescale, newMasks, consensus, variant);
    }

    /**
     * The same method with another rescale of the kept entries.
     *
     * @param newRescale how kept entries are rescaled
     * @return a new combiner
     */
    public Dare withRescale(DareRescale newRescale) {
        return new Dare(weights, densities, newRescale, masks, consensus, variant);
    }

    /**
     * The same method with another TIES consensus rule (used only by {@code dare_ties}).
     *
     * @param newVariant consensus rule
     * @return a new combiner
     */
    public Dare withVariant(TiesVariant newVariant) {
        return new Dare(weights, densities, rescale, masks, consensus, newVariant);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray combineOverwriting(String tensorName, NDArray taus) {
        weights.requireMatches(taus);
        NDArray result;
        try (NDScope scope = new NDScope()) {
            for (int i = 0; i < weights.size(); i++) {
                double density = densities.get(i);
                if (density < 1.0) {
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
        return new Dare(newWeights, densities, rescale, masks, consensus, variant);
    }
}

package org.peft4j.merge.sparsify;

/**
 * How a randomly pruned task tensor is rescaled (methods-spec.md, Choices #8).
 */
public enum DareRescale {
    /**
     * Divide every kept entry by the keep probability (DARE paper; PEFT {@code random_pruning(...,
     * rescale=True)}): unbiased per entry.
     */
    INVERSE_DENSITY,
    /**
     * Multiply by {@code ||t||_1 / ||t * mask||_1} so the L1 norm is preserved (mergekit {@code
     * rescaled_masked_tensor} with {@code RescaleNorm.l1}); no rescale when either norm is below
     * 1e-7, as in mergekit. Equals 1/density only in expectation.
     */
    L1_NORM,
    /** Keep the masked entries as they are. */
    NONE
}

package org.peft4j.merge.sparsify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

/**
 * Random pruning (DARE "drop and rescale"): {@code t * mask}, then rescaled as {@link DareRescale}
 * says. PEFT {@code merge_utils.random_pruning} draws {@code mask ~ Bernoulli(density)} and divides
 * by {@code density} when {@code rescale=True}; a density of 1 returns the tensor unchanged, as
 * PEFT's {@code prune} does.
 */
public final class RandomPruning {

    /** Below this L1 norm mergekit does not rescale ({@code rescaled_masked_tensor}, eps 1e-7). */
    private static final double L1_EPS = 1e-7;

    private RandomPruning() {}

    /**
     * Applies a given keep-mask.
     *
     * @param tensor any shape, float32
     * @param mask 0/1 float32 array of the same shape
     * @param density the keep probability the mask was drawn with, in (0, 1]
     * @param rescale how kept entries are rescaled
     * @return same shape, float32, in {@code tensor}'s manager; the input itself when density is 1
     */
    public static NDArray apply(NDArray tensor, NDArray mask, double density, DareRescale rescale) {
        Density.require(density);
        if (density >= 1.0) {
            return tensor;
        }
        if (!tensor.getShape().equals(mask.getShape())) {
            throw new IllegalArgumentException(
                    "mask shape " + mask.getShape() + " differs from tensor shape " + tensor.getShape());
        }
        NDArray result;
        try (NDScope scope = new NDScope()) {
            NDArray masked = tensor.mul(mask);
            switch (rescale) {
                case INVERSE_DENSITY:
                    result = masked.div(density);
                    break;
                case L1_NORM:
                    double before = tensor.abs().sum().getFloat();
                    double after = masked.abs().sum().getFloat();
                    result =
                            before < L1_EPS || after < L1_EPS ? masked : masked.mul(before / after);
                    break;
                case NONE:
                    result = masked;
                    break;
                default:
                    throw new IllegalArgumentException("unknown rescale " + rescale);
            }
            NDScope.unregister(result);
        }
        NDScope.register(result);
        return result;
    }

    /**
     * Draws the mask from {@code masks} and applies it.
     *
     * @param tensor any shape, float32
     * @param density keep probability, in (0, 1]
     * @param rescale how kept entries are rescaled
     * @param masks mask supplier
     * @param tensorName checkpoint key (part of the mask seed)
     * @param inputIndex input model index (part of the mask seed)
     * @return same shape, float32, in {@code tensor}'s manager
     */
    public static NDArray prune(
            NDArray tensor,
            double density,
            DareRescale rescale,
            MaskSource masks,
            String tensorName,
            int inputIndex) {
        Density.require(density);
        if (density >= 1.0) {
            return tensor;
        }
        try (NDArray mask =
                masks.mask(tensorName, inputIndex, tensor.getShape(), density, tensor.getManager())) {
            return apply(tensor, mask, density, rescale);
        }
    }
}

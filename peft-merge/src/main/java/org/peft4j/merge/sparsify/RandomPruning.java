package org.peft4j.merge.sparsify;

import ai.djl.ndarray.NDArray;

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
        NDArray result = tensor.duplicate();
        applyInPlace(result, mask, density, rescale);
        return result;
    }

    /**
     * Applies a given keep-mask in place.
     *
     * @param tensor any shape, float32, overwritten with the pruned and rescaled values
     * @param mask 0/1 float32 array of the same shape
     * @param density the keep probability the mask was drawn with, in (0, 1]
     * @param rescale how kept entries are rescaled
     */
    public static void applyInPlace(NDArray tensor, NDArray mask, double density, DareRescale rescale) {
        Density.require(density);
        if (density >= 1.0) {
            return;
        }
        if (!tensor.getShape().equals(mask.getShape())) {
            throw new IllegalArgumentException(
                    "mask shape " + mask.getShape() + " differs from tensor shape " + tensor.getShape());
        }
        switch (rescale) {
            case INVERSE_DENSITY:
                tensor.muli(mask).divi(density);
                break;
            case L1_NORM:
                double before = l1(tensor);
                tensor.muli(mask);
                double after = l1(tensor);
                if (before >= L1_EPS && after >= L1_EPS) {
                    tensor.muli(before / after);
                }
                break;
            case NONE:
                tensor.muli(mask);
                break;
            default:
                throw new IllegalArgumentException("unknown rescale " + rescale);
        }
    }

    private static double l1(NDArray tensor) {
        try (NDArray abs = tensor.abs();
                NDArray sum = abs.sum()) {
            return sum.getFloat();
        }
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

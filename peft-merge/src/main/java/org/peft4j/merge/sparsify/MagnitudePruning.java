package org.peft4j.merge.sparsify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;

/**
 * Magnitude pruning (TIES "trim"): keep the {@code k = floor(density * numel)} entries of largest
 * absolute value, zero the rest. Matches PEFT {@code merge_utils.magnitude_based_pruning} (flattened
 * {@code torch.topk} of {@code |t|}); a density of 1 returns the tensor unchanged, as PEFT's {@code
 * prune} does. Among equal magnitudes the kept entries are the ones libtorch's {@code topk} returns,
 * so results match PEFT on the same libtorch.
 *
 * <p>The mask is {@code |t| >= (k-th largest |t|)} when exactly {@code k} entries pass that test
 * (then it is the same set {@code topk} selects); only when magnitudes tie at the threshold are the
 * {@code topk} indices scattered into the mask.
 */
public final class MagnitudePruning {

    private MagnitudePruning() {}

    /**
     * Prunes one tensor.
     *
     * @param tensor any shape, float32
     * @param density fraction kept, in (0, 1]
     * @return same shape and dtype, in {@code tensor}'s manager; the input itself when density is 1
     */
    public static NDArray prune(NDArray tensor, double density) {
        Density.require(density);
        if (density >= 1.0) {
            return tensor;
        }
        NDArray result = tensor.duplicate();
        try (NDScope scope = new NDScope()) {
            pruneRowsInPlace(result.reshape(1, tensor.size()), density);
        }
        return result;
    }

    /**
     * Prunes each task tensor of a stack separately (PEFT applies {@code prune} per task tensor).
     *
     * @param stacked {@code [T, ...]} float32
     * @param density fraction kept per task tensor, in (0, 1]
     * @return {@code [T, ...]} float32 in {@code stacked}'s manager; the input itself when density is 1
     */
    public static NDArray pruneEach(NDArray stacked, double density) {
        Density.require(density);
        if (density >= 1.0) {
            return stacked;
        }
        NDArray result = stacked.duplicate();
        pruneEachInPlace(result, density);
        return result;
    }

    /**
     * Prunes each task tensor of a stack in place (no copy of the stack is made).
     *
     * @param stacked {@code [T, ...]} float32, overwritten
     * @param density fraction kept per task tensor, in (0, 1]
     */
    public static void pruneEachInPlace(NDArray stacked, double density) {
        Density.require(density);
        if (density >= 1.0) {
            return;
        }
        long t = stacked.getShape().get(0);
        try (NDScope scope = new NDScope()) {
            pruneRowsInPlace(stacked.reshape(t, stacked.size() / t), density);
        }
    }

    // rows: [T, n], a view of the caller's array; each row keeps its int(density * n) largest |x|
    private static void pruneRowsInPlace(NDArray rows, double density) {
        long n = rows.getShape().get(1);
        long k = (long) (density * n);
        if (k <= 0) {
            rows.muli(0f);
            return;
        }
        NDArray abs = rows.abs();
        NDList top = abs.topK(Math.toIntExact(k), 1, true, false);
        NDArray threshold = top.get(0).min(new int[] {1}, true); // [T, 1]
        NDArray mask = abs.gte(threshold);
        long kept = mask.sum().toType(DataType.INT64, false).getLong();
        if (kept != k * rows.getShape().get(0)) {
            // ties at the threshold: take exactly topk's indices
            NDArray indices = top.get(1);
            mask = abs.zerosLike().scatter(indices, indices.onesLike().toType(DataType.FLOAT32, false), 1);
        } else {
            mask = mask.toType(DataType.FLOAT32, false);
        }
        rows.muli(mask);
    }
}

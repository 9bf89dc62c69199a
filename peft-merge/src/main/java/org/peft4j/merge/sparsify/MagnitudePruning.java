package org.peft4j.merge.sparsify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;

/**
 * Magnitude pruning (TIES "trim"): keep the {@code k = floor(density * numel)} entries of largest
 * absolute value, zero the rest. Matches PEFT {@code merge_utils.magnitude_based_pruning} (flattened
 * {@code torch.topk} of {@code |t|}); a density of 1 returns the tensor unchanged, as PEFT's {@code
 * prune} does. Among equal magnitudes the kept entries are the ones libtorch's {@code topk} returns,
 * so results match PEFT on the same libtorch.
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
        long numel = tensor.size();
        long k = (long) (density * numel);
        NDArray result;
        try (NDScope scope = new NDScope()) {
            NDArray flat = tensor.flatten();
            if (k <= 0) {
                result = tensor.zerosLike();
            } else {
                NDList top = flat.abs().topK(Math.toIntExact(k), 0, true, false);
                NDArray indices = top.get(1);
                NDArray mask = flat.zerosLike();
                mask = mask.scatter(indices, indices.onesLike().toType(DataType.FLOAT32, false), 0);
                result = flat.mul(mask).reshape(tensor.getShape());
            }
            NDScope.unregister(result);
        }
        NDScope.register(result);
        return result;
    }

    /**
     * Prunes each task tensor of a stack separately (PEFT applies {@code prune} per task tensor).
     *
     * @param stacked {@code [T, ...]} float32
     * @param density fraction kept per task tensor, in (0, 1]
     * @return {@code [T, ...]} float32 in {@code stacked}'s manager
     */
    public static NDArray pruneEach(NDArray stacked, double density) {
        Density.require(density);
        if (density >= 1.0) {
            return stacked;
        }
        NDArray result;
        try (NDScope scope = new NDScope()) {
            NDList parts = new NDList();
            for (long i = 0; i < stacked.getShape().get(0); i++) {
                parts.add(prune(stacked.get(i), density));
            }
            result = NDArrays.stack(parts, 0);
            NDScope.unregister(result);
        }
        NDScope.register(result);
        return result;
    }
}

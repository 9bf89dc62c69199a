package org.peft4j.merge.consensus;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

/**
 * The TIES disjoint mean: {@code sum_i T_i * mask_i / max(sum_i mask_i, 1)}, the mean over the
 * entries that agree with the elected sign; an entry where none agree becomes 0 (PEFT {@code
 * disjoint_merge}, count clamped to at least 1).
 */
public final class DisjointMerge {

    private DisjointMerge() {}

    /**
     * Merges.
     *
     * @param stacked task tensors {@code [T, ...]}, float32 (PEFT passes the weighted tensors)
     * @param mask agreement mask {@code [T, ...]}, float32 0/1
     * @return {@code [...]} float32, in {@code stacked}'s manager
     */
    public static NDArray of(NDArray stacked, NDArray mask) {
        if (!stacked.getShape().equals(mask.getShape())) {
            throw new IllegalArgumentException(
                    "mask shape " + mask.getShape() + " differs from task shape " + stacked.getShape());
        }
        NDArray result;
        try (NDScope scope = new NDScope()) {
            NDArray sum = stacked.mul(mask).sum(new int[] {0});
            NDArray count = mask.sum(new int[] {0}).maximum(1f);
            result = sum.div(count);
            NDScope.unregister(result);
        }
        NDScope.register(result);
        return result;
    }
}

package org.peft4j.merge.consensus;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;

/**
 * The TIES agreement mask: elect a majority sign per entry and mark the task entries whose sign
 * equals it. As in PEFT {@code calculate_majority_sign_mask}: a tie (sum exactly 0) elects +1, and a
 * zero entry never agrees (its sign 0 is neither +1 nor -1), so pruned entries are excluded.
 */
public final class MajoritySignMask {

    private MajoritySignMask() {}

    /**
     * Computes the mask.
     *
     * @param stacked task tensors {@code [T, ...]}, float32
     * @param election how the majority sign is elected
     * @return {@code [T, ...]} float32 0/1, in {@code stacked}'s manager
     */
    public static NDArray of(NDArray stacked, SignElection election) {
        NDArray mask;
        try (NDScope scope = new NDScope()) {
            mask = stacked.sign().eq(majority(stacked, election)).toType(DataType.FLOAT32, false);
            NDScope.unregister(mask);
        }
        NDScope.register(mask);
        return mask;
    }

    /**
     * The elected sign per entry, +1 or -1 (ties +1).
     *
     * @param stacked task tensors {@code [T, ...]}, float32
     * @param election how the majority sign is elected
     * @return {@code [...]} float32 of +1/-1, in {@code stacked}'s manager
     */
    public static NDArray majority(NDArray stacked, SignElection election) {
        NDArray majority;
        try (NDScope scope = new NDScope()) {
            NDArray votes =
                    election == SignElection.TOTAL
                            ? stacked.sum(new int[] {0})
                            : stacked.sign().sum(new int[] {0});
            // where(M >= 0, +1, -1) written as 2 * [M >= 0] - 1
            majority = votes.gte(0f).toType(DataType.FLOAT32, false).muli(2f).subi(1f);
            NDScope.unregister(majority);
        }
        NDScope.register(majority);
        return majority;
    }
}

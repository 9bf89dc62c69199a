package org.peft4j.merge.method;

/**
 * Which TIES consensus rule is used after trimming (methods-spec.md, Choices #9). Each trims every
 * tensor with magnitude pruning, elect +1 on a tie and never count a zero entry as agreeing.
 *
 * <p>The third rule of Choices #9, the TIES authors' own code (also used by LiNeS), trims over the
 * whole model and resolves ties with a model-wide majority sign; it needs statistics over every
 * tensor, so it is not a per-tensor variant but {@link org.peft4j.merge.global.TiesOriginal}.
 */
public enum TiesVariant {
    /**
     * PEFT {@code merge_utils.ties}: elect the sign on the <em>unweighted</em> trimmed tensors
     * {@code P_i}, then the disjoint mean of {@code w_i P_i} over agreeing entries (divided by the
     * agreeing count).
     */
    PEFT,
    /**
     * mergekit {@code ties} with {@code normalize: true} (its default): elect the sign on the weighted
     * tensors {@code w_i P_i}, then {@code sum_i w_i P_i m_i / sum_i w_i m_i} (a zero divisor becomes
     * 1).
     */
    MERGEKIT,
    /**
     * mergekit {@code ties} / {@code dare_ties} with {@code normalize: false} ({@code dare_ties}'
     * default there): the sign elected on {@code w_i P_i} as in {@link #MERGEKIT}, then the agreeing
     * entries summed, {@code sum_i w_i P_i m_i}, without any division.
     */
    MERGEKIT_UNNORMALIZED;

    /**
     * Whether the sign is elected on the weighted tensors {@code w_i P_i} (mergekit) rather than on
     * the unweighted {@code P_i} (PEFT).
     *
     * @return true for the mergekit variants
     */
    public boolean electsOnWeightedTensors() {
        return this != PEFT;
    }
}

package org.peft4j.models.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Additive attention masks: 0 where a query may attend, the lowest finite float32 ({@code
 * -3.4028235e38}, {@code torch.finfo(float32).min}, which Hugging Face uses) where it may not. Added
 * to the attention scores before the softmax, a blocked position gets weight exactly 0, and a row
 * with every position blocked stays finite (uniform weights) instead of NaN.
 */
public final class AttentionMasks {

    /** The value added at blocked positions: {@code torch.finfo(torch.float32).min}. */
    public static final float BLOCKED = -Float.MAX_VALUE;

    private AttentionMasks() {}

    /**
     * Returns whether a padding mask blocks any position. Without padding the additive mask is all
     * zeros, and adding it to the attention scores changes nothing, so an encoder may skip it.
     *
     * @param attentionMask {@code [B, T]}, 1 for real tokens and 0 for padding (any numeric dtype)
     * @return whether any entry is 0
     */
    public static boolean hasPadding(NDArray attentionMask) {
        checkMask(attentionMask);
        try (NDArray zero = attentionMask.eq(0); NDArray any = zero.any()) {
            return any.getBoolean();
        }
    }

    /**
     * Builds the padding mask of an encoder.
     *
     * @param attentionMask {@code [B, T]}, 1 for real tokens and 0 for padding (any numeric dtype)
     * @return {@code [B, 1, 1, T]} float32, in the mask's manager
     */
    public static NDArray padding(NDArray attentionMask) {
        checkMask(attentionMask);
        Shape s = attentionMask.getShape();
        NDArray blocked = attentionMask.toType(DataType.FLOAT32, false).neg().add(1f);
        return blocked.mul(BLOCKED).reshape(s.get(0), 1, 1, s.get(1));
    }

    /**
     * Builds the mask of a decoder: query {@code i} may attend key {@code j} when {@code j <= i} and
     * key {@code j} is not padding.
     *
     * @param manager where the mask is created
     * @param length sequence length {@code T}
     * @param attentionMask {@code [B, T]} 1/0 padding mask, or null when nothing is padded
     * @return {@code [B, 1, T, T]} float32 (or {@code [1, 1, T, T]} without a padding mask)
     */
    public static NDArray causal(NDManager manager, long length, NDArray attentionMask) {
        return causal(manager, length, attentionMask, 0);
    }

    /**
     * The causal mask with a sliding window (Mistral): position {@code i} attends to {@code j} when
     * {@code i - window < j <= i}, i.e. to itself and the {@code window - 1} positions before it (as
     * transformers' sliding-window mask, {@code kv_idx > q_idx - sliding_window}).
     *
     * @param manager where the mask is made
     * @param length the sequence length T
     * @param attentionMask {@code [B, T]} with 1 for real tokens and 0 for padding, or null
     * @param window the window, or 0 for none
     * @return the additive mask {@code [B|1, 1, T, T]}
     */
    public static NDArray causal(NDManager manager, long length, NDArray attentionMask, int window) {
        NDArray positions = manager.arange(0, (int) length, 1, DataType.INT64);
        // future[i, j] = j > i
        NDArray future = positions.reshape(1, length).gt(positions.reshape(length, 1)).reshape(1, 1, length, length);
        if (window > 0) {
            // too old: j <= i - window
            NDArray old = positions.reshape(1, length).lte(positions.reshape(length, 1).sub(window)).reshape(1, 1, length, length);
            future = future.logicalOr(old);
        }
        NDArray blocked = future;
        if (attentionMask != null) {
            checkMask(attentionMask);
            NDArray pad = attentionMask.toType(DataType.FLOAT32, false).eq(0f).reshape(attentionMask.getShape().get(0), 1, 1, length);
            blocked = future.logicalOr(pad);
        }
        return blocked.toType(DataType.FLOAT32, false).mul(BLOCKED);
    }

    private static void checkMask(NDArray mask) {
        if (mask.getShape().dimension() != 2) {
            throw new IllegalArgumentException("attention_mask must be [B, T], got " + mask.getShape());
        }
    }
}

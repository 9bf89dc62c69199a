package org.peft4j.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * The causal language-modelling loss of Hugging Face's {@code *ForCausalLM}: position {@code t}'s
 * logits predict label {@code t + 1} (logits and labels are shifted by one), cross-entropy is averaged
 * over the labels that are not {@link #IGNORE_INDEX}. As in PyTorch, a batch without a single counted
 * label gives NaN.
 */
public final class CausalLmLoss {

    /** Labels equal to this value are not counted ({@code torch.nn.CrossEntropyLoss}'s default, -100). */
    public static final long IGNORE_INDEX = -100;

    private CausalLmLoss() {}

    /**
     * Computes the mean next-token cross-entropy.
     *
     * @param logits {@code [B, T, V]} float32
     * @param labels {@code [B, T]} int64 token ids, or {@link #IGNORE_INDEX} where no loss is wanted
     *     (usually the input ids with prompt and padding positions set to -100)
     * @return a scalar float32 in {@code logits}' manager, differentiable
     */
    public static NDArray compute(NDArray logits, NDArray labels) {
        if (logits.getShape().dimension() != 3 || labels.getShape().dimension() != 2
                || logits.getShape().get(0) != labels.getShape().get(0) || logits.getShape().get(1) != labels.getShape().get(1)) {
            throw new IllegalArgumentException(
                    "logits must be [B, T, V] and labels [B, T], got " + logits.getShape() + " and " + labels.getShape());
        }
        NDArray shiftedLogits = logits.get(":, :-1, :");
        NDArray shiftedLabels = labels.get(":, 1:").toType(DataType.INT64, false);
        NDArray counted = shiftedLabels.neq(IGNORE_INDEX);
        NDArray countedF = counted.toType(DataType.FLOAT32, false);
        // ignored positions look up class 0 and are then multiplied by 0
        NDArray safeLabels = shiftedLabels.mul(counted.toType(DataType.INT64, false));
        NDArray logProbs = shiftedLogits.logSoftmax(2);
        NDArray picked = logProbs.gather(safeLabels.expandDims(2), 2).squeeze(2);
        return picked.mul(countedF).sum().neg().div(countedF.sum());
    }
}

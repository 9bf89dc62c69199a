package org.peft4j.models.tokenize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * A tokenized, padded batch as a BERT or Llama model takes it. All three arrays are {@code [B, T]}
 * int64 in the manager given to the tokenizer, {@code T} the padded length.
 *
 * @param inputIds token ids, padding filled with the tokenizer's pad id
 * @param attentionMask 1 for real tokens, 0 for padding
 * @param tokenTypeIds segment ids (0 for the first text, 1 for the second of a pair)
 */
public record TokenizedBatch(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds) {

    /**
     * Returns the model input {@code NDList(input_ids, attention_mask, token_type_ids)}.
     *
     * @return the list
     */
    public NDList toNDList() {
        return new NDList(inputIds, attentionMask, tokenTypeIds);
    }

    /**
     * Returns the batch size {@code B}.
     *
     * @return the number of texts
     */
    public long batchSize() {
        return inputIds.getShape().get(0);
    }

    /**
     * Returns the padded length {@code T}.
     *
     * @return tokens per row
     */
    public long length() {
        return inputIds.getShape().get(1);
    }
}

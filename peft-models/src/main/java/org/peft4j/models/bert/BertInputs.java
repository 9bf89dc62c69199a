package org.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;

/**
 * The inputs of a BERT forward pass, checked: {@code input_ids} {@code [B, T]} int64 (or int32),
 * optional {@code attention_mask} {@code [B, T]} (null: no padding) and {@code token_type_ids}
 * {@code [B, T]} (zeros when absent).
 *
 * @param inputIds token ids
 * @param attentionMask 1 for tokens, 0 for padding; null when absent
 * @param tokenTypeIds segment ids
 */
record BertInputs(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds) {

    static BertInputs of(NDList inputs) {
        if (inputs.isEmpty() || inputs.size() > 3) {
            throw new IllegalArgumentException(
                    "BERT expects NDList(input_ids, [attention_mask, [token_type_ids]]), got " + inputs.size() + " arrays");
        }
        NDArray ids = inputs.get(0);
        if (ids.getShape().dimension() != 2) {
            throw new IllegalArgumentException("input_ids must be [B, T], got " + ids.getShape());
        }
        if (ids.getDataType() != DataType.INT64 && ids.getDataType() != DataType.INT32) {
            throw new IllegalArgumentException("input_ids must be int64 or int32, got " + ids.getDataType());
        }
        NDArray mask = inputs.size() > 1 ? inputs.get(1) : null;
        NDArray types = inputs.size() > 2 ? inputs.get(2) : null;
        if (mask != null && !mask.getShape().equals(ids.getShape())) {
            throw new IllegalArgumentException(
                    "attention_mask " + mask.getShape() + " must have the shape of input_ids " + ids.getShape());
        }
        if (types == null) {
            types = ids.zerosLike();
        } else if (!types.getShape().equals(ids.getShape())) {
            throw new IllegalArgumentException(
                    "token_type_ids " + types.getShape() + " must have the shape of input_ids " + ids.getShape());
        }
        return new BertInputs(ids, mask, types);
    }
}

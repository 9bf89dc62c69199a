package org.peft4j.examples.train;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import java.util.List;

/** Turns a batch of texts into model inputs. */
@FunctionalInterface
public interface BatchEncoder {

    /**
     * Encodes texts as {@code NDList(input_ids, attention_mask, token_type_ids)}, each {@code [B, T]}
     * int64, padded to the longest text of the batch (at most the encoder's maximum length).
     *
     * @param texts the batch
     * @param manager the owner of the arrays
     * @return the inputs
     */
    NDList encode(List<String> texts, NDManager manager);
}

package org.peft4j.benchmarks.workload;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.Random;

/**
 * A fixed batch of token ids: {@code [CLS] w_1 ... w_{T-2} [SEP]} with random word ids, no padding
 * (attention mask all ones), token types all zero, and random binary labels. The same seed gives the
 * same batch in every process and on the Python side (which reads it from the exported file).
 *
 * @param batch sequences {@code B}
 * @param seqLen tokens per sequence {@code T}
 * @param ids token ids, row-major {@code [B, T]}
 * @param labels class indices {@code [B]}
 */
public record WorkloadInputs(int batch, int seqLen, long[] ids, long[] labels) {

    /** BERT's {@code [CLS]} id in the uncased WordPiece vocabulary. */
    public static final long CLS = 101;
    /** BERT's {@code [SEP]} id. */
    public static final long SEP = 102;
    /** Word ids are drawn from {@code [FIRST_WORD_ID, vocab)}: past the special and unused tokens. */
    public static final int FIRST_WORD_ID = 1996;

    /**
     * Draws a batch.
     *
     * @param batch sequences
     * @param seqLen tokens per sequence, at least 2
     * @param vocab vocabulary size
     * @param labelCount number of classes
     * @param seed the random seed
     * @return the batch
     */
    public static WorkloadInputs random(int batch, int seqLen, int vocab, int labelCount, long seed) {
        if (batch <= 0 || seqLen < 2 || vocab <= FIRST_WORD_ID || labelCount < 2) {
            throw new IllegalArgumentException("need batch > 0, seqLen >= 2, vocab > " + FIRST_WORD_ID + ", labels >= 2; got batch="
                    + batch + ", seqLen=" + seqLen + ", vocab=" + vocab + ", labels=" + labelCount);
        }
        Random r = new Random(seed);
        long[] ids = new long[batch * seqLen];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seqLen; t++) {
                long id = t == 0 ? CLS : t == seqLen - 1 ? SEP : FIRST_WORD_ID + r.nextInt(vocab - FIRST_WORD_ID);
                ids[b * seqLen + t] = id;
            }
        }
        long[] labels = new long[batch];
        for (int b = 0; b < batch; b++) {
            labels[b] = r.nextInt(labelCount);
        }
        return new WorkloadInputs(batch, seqLen, ids, labels);
    }

    /**
     * Returns the number of tokens per step.
     *
     * @return {@code B·T}
     */
    public long tokens() {
        return (long) batch * seqLen;
    }

    /**
     * Creates the model inputs.
     *
     * @param manager the owner (forward passes then allocate in it)
     * @return {@code NDList(input_ids, attention_mask, token_type_ids)}, each {@code [B, T]} int64
     */
    public NDList toNDList(NDManager manager) {
        Shape s = new Shape(batch, seqLen);
        NDArray idArray = manager.create(ids, s);
        NDArray mask = manager.ones(s, ai.djl.ndarray.types.DataType.INT64);
        NDArray types = manager.zeros(s, ai.djl.ndarray.types.DataType.INT64);
        return new NDList(idArray, mask, types);
    }

    /**
     * Creates the labels.
     *
     * @param manager the owner
     * @return {@code [B]} int64
     */
    public NDArray labels(NDManager manager) {
        return manager.create(labels);
    }
}

package org.peft4j.examples.quickstart;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.peft4j.core.nn.DenseLinear;
import org.peft4j.core.nn.ModuleBlock;
import org.peft4j.models.bert.BertModel;
import org.peft4j.models.bert.BertSentenceEmbedder;

/**
 * A sentence classifier the way sentence-transformers models are used: a BERT encoder ({@code
 * bert.*}), mean pooling over the real tokens, and a linear {@code classifier} on the pooled vector.
 * Input {@code NDList(input_ids, attention_mask, token_type_ids)}, output logits {@code [B, labels]}.
 */
public final class MeanPoolingClassifier extends ModuleBlock {

    /**
     * Wraps an encoder with a new head initialised as Hugging Face does (N(0, 0.02), zero bias).
     *
     * @param bert the (loaded) encoder
     * @param labels the number of classes
     * @param manager the owner of the head's arrays
     */
    public MeanPoolingClassifier(BertModel bert, int labels, NDManager manager) {
        registerModule("bert", bert);
        int hidden = bert.config().hiddenSize();
        DenseLinear head = registerModule("classifier", new DenseLinear(hidden, labels, true));
        head.initialize(manager, DataType.FLOAT32);
        try (NDManager scratch = manager.newSubManager()) {
            head.setWeight(scratch.randomNormal(0f, 0.02f, new Shape(labels, hidden), DataType.FLOAT32));
        }
        head.bias().getArray().set(new NDIndex("..."), 0f);
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray hidden = module("bert").forward(ps, inputs, training, params).get(0);
        NDArray pooled = BertSentenceEmbedder.meanPool(hidden, inputs.get(1), false);
        return module("classifier").forward(ps, new NDList(pooled), training, params);
    }
}

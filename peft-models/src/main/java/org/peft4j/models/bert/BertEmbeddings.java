package org.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.peft4j.core.nn.InvertedDropout;
import org.peft4j.core.nn.ModuleBlock;
import org.peft4j.models.layers.Embedding;
import org.peft4j.models.layers.LayerNorm;

/**
 * BERT's input embeddings ({@code embeddings}): word + token type + absolute position embeddings,
 * then {@code LayerNorm} and dropout. Children: {@code word_embeddings} {@code [vocab, H]}, {@code
 * position_embeddings} {@code [maxPos, H]}, {@code token_type_embeddings} {@code [types, H]}, {@code
 * LayerNorm}.
 *
 * <p>Input: {@code NDList(input_ids [B, T] int64, token_type_ids [B, T] int64)}. Output: {@code
 * NDList([B, T, H])}, float32, in the ids' manager. Positions are {@code 0..T-1}.
 */
public final class BertEmbeddings extends ModuleBlock {

    private final float dropout;
    private final int maxPositions;

    /**
     * Creates the embeddings of a config.
     *
     * @param config the model config
     */
    public BertEmbeddings(BertConfig config) {
        float std = (float) config.initializerRange();
        registerModule("word_embeddings", new Embedding(config.vocabSize(), config.hiddenSize(), std));
        registerModule("position_embeddings", new Embedding(config.maxPositionEmbeddings(), config.hiddenSize(), std));
        registerModule("token_type_embeddings", new Embedding(config.typeVocabSize(), config.hiddenSize(), std));
        registerModule("LayerNorm", new LayerNorm(config.hiddenSize(), config.layerNormEps()));
        this.dropout = (float) config.hiddenDropoutProb();
        this.maxPositions = config.maxPositionEmbeddings();
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.get(0);
        NDArray types = inputs.get(1);
        long length = ids.getShape().get(1);
        if (length > maxPositions) {
            throw new IllegalArgumentException(
                    "sequence length " + length + " exceeds max_position_embeddings " + maxPositions);
        }
        NDArray positions = ids.getManager().arange(0, (int) length, 1, DataType.INT64).reshape(1, length);
        NDArray words = call("word_embeddings", ps, ids, training, params);
        NDArray typed = words.add(call("token_type_embeddings", ps, types, training, params));
        NDArray summed = typed.add(call("position_embeddings", ps, positions, training, params));
        NDArray normed = call("LayerNorm", ps, summed, training, params);
        return new NDList(training && dropout > 0 ? InvertedDropout.apply(normed, dropout, true) : normed);
    }

    private NDArray call(String child, ParameterStore ps, NDArray x, boolean training, PairList<String, Object> params) {
        return module(child).forward(ps, new NDList(x), training, params).head();
    }
}

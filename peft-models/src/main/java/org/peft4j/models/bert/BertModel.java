package org.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.peft4j.core.nn.ModuleBlock;
import org.peft4j.models.checkpoint.HeadParameters;
import org.peft4j.models.layers.AttentionMasks;
import org.peft4j.models.layers.HfInitialization;

import java.util.List;

/**
 * A BERT-family encoder as Hugging Face's {@code BertModel}: children {@code embeddings} ({@link
 * BertEmbeddings}), {@code encoder} ({@link BertEncoder}) and, unless built without it, {@code
 * pooler} ({@link BertPooler}). Parameter paths are the state-dict keys of a saved {@code
 * BertModel} ({@code embeddings.word_embeddings.weight}, {@code
 * encoder.layer.0.attention.self.query.weight} {@code [H, H]}, ...).
 *
 * <p>Input: {@code NDList(input_ids, attention_mask, token_type_ids)}, each {@code [B, T]} int64;
 * the last two are optional (mask all ones, token types all zero). Output: {@code
 * NDList(last_hidden_state [B, T, H], pooler_output [B, H])} (the second only with a pooler), float32,
 * named as HF names them, in the manager of {@code input_ids}. Dropout is applied only when {@code
 * training} is true.
 *
 * <p>Parameters have shapes from the start; call {@code initialize(manager, FLOAT32)} for HF's
 * random initialisation, or load a checkpoint with {@link org.peft4j.models.checkpoint.CheckpointLoader}.
 */
public class BertModel extends ModuleBlock implements HeadParameters {

    private final BertConfig config;
    private final boolean withPooler;

    /**
     * Creates an encoder with a pooler.
     *
     * @param config the model config
     */
    public BertModel(BertConfig config) {
        this(config, true);
    }

    /**
     * Creates an encoder.
     *
     * @param config the model config
     * @param addPoolingLayer whether to add {@code pooler} (HF's {@code add_pooling_layer})
     */
    public BertModel(BertConfig config, boolean addPoolingLayer) {
        this.config = config;
        this.withPooler = addPoolingLayer;
        registerModule("embeddings", new BertEmbeddings(config));
        registerModule("encoder", new BertEncoder(config));
        if (addPoolingLayer) {
            registerModule("pooler", new BertPooler(config));
        }
        HfInitialization.apply(this, config.initializerRange());
    }

    /**
     * Returns the config.
     *
     * @return the config
     */
    public BertConfig config() {
        return config;
    }

    /**
     * Returns whether the model has a {@code pooler}.
     *
     * @return whether {@code pooler_output} is produced
     */
    public boolean hasPooler() {
        return withPooler;
    }

    /**
     * The pooler, which sentence-transformers checkpoints lack.
     *
     * @return {@code pooler.*}
     */
    @Override
    public List<String> headParameterPatterns() {
        return List.of("pooler.*");
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray hidden = encode(ps, inputs, training, params);
        if (!withPooler) {
            return new NDList(hidden);
        }
        NDArray pooled = module("pooler").forward(ps, new NDList(hidden), training, params).head();
        pooled.setName("pooler_output");
        return new NDList(hidden, pooled);
    }

    /**
     * Runs the embeddings and the encoder.
     *
     * @param ps the parameter store
     * @param inputs {@code NDList(input_ids, [attention_mask, [token_type_ids]])}
     * @param training whether dropout is on
     * @param params extra parameters, passed on
     * @return {@code last_hidden_state} {@code [B, T, H]}
     */
    protected NDArray encode(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        BertInputs in = BertInputs.of(inputs);
        NDArray embedded = module("embeddings").forward(ps, new NDList(in.inputIds(), in.tokenTypeIds()), training, params).head();
        NDList encoderIn =
                in.attentionMask() == null || !AttentionMasks.hasPadding(in.attentionMask())
                        ? new NDList(embedded)
                        : new NDList(embedded, AttentionMasks.padding(in.attentionMask()));
        NDArray hidden = module("encoder").forward(ps, encoderIn, training, params).head();
        hidden.setName("last_hidden_state");
        return hidden;
    }
}

package org.peft4j.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.peft4j.core.nn.ModuleBlock;
import org.peft4j.models.layers.AttentionMasks;
import org.peft4j.models.layers.Embedding;
import org.peft4j.models.layers.ModuleList;
import org.peft4j.models.layers.RmsNorm;

import java.util.ArrayList;
import java.util.List;

/**
 * The Llama decoder stack ({@code model} inside {@link LlamaForCausalLM}, HF's {@code LlamaModel}):
 * children {@code embed_tokens} ({@code [vocab, H]}), {@code layers} ({@link ModuleList} of {@link
 * LlamaDecoderLayer}) and the final {@code norm}.
 *
 * <p>Input: {@code NDList(input_ids [B, T] int64)} or {@code NDList(input_ids, attention_mask [B,
 * T])}; positions are {@code 0..T-1} (as HF when no position ids are given). Output: {@code
 * NDList(last_hidden_state [B, T, H])} after the final norm, float32, in the ids' manager.
 */
public final class LlamaModel extends ModuleBlock {

    private final LlamaConfig config;
    private final RotaryEmbedding rotary;

    /**
     * Creates the stack.
     *
     * @param config the model config
     */
    public LlamaModel(LlamaConfig config) {
        this.config = config;
        registerModule("embed_tokens", new Embedding(config.vocabSize(), config.hiddenSize(), (float) config.initializerRange()));
        List<Block> layers = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(new LlamaDecoderLayer(config));
        }
        registerModule("layers", new ModuleList(layers));
        registerModule("norm", new RmsNorm(config.hiddenSize(), config.rmsNormEps()));
        this.rotary = new RotaryEmbedding(config.headDim(), config.ropeTheta(), config.ropeScaling());
    }

    /**
     * Returns the config.
     *
     * @return the config
     */
    public LlamaConfig config() {
        return config;
    }

    /**
     * Returns the rotary embedding the attention layers use.
     *
     * @return the rotary embedding
     */
    public RotaryEmbedding rotaryEmbedding() {
        return rotary;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.get(0);
        if (ids.getShape().dimension() != 2 || (ids.getDataType() != DataType.INT64 && ids.getDataType() != DataType.INT32)) {
            throw new IllegalArgumentException("input_ids must be [B, T] int64, got " + ids.getShape() + " " + ids.getDataType());
        }
        NDArray attentionMask = inputs.size() > 1 ? inputs.get(1) : null;
        if (attentionMask != null && !attentionMask.getShape().equals(ids.getShape())) {
            throw new IllegalArgumentException(
                    "attention_mask " + attentionMask.getShape() + " must have the shape of input_ids " + ids.getShape());
        }
        long length = ids.getShape().get(1);
        if (length > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException(
                    "sequence length " + length + " exceeds max_position_embeddings " + config.maxPositionEmbeddings());
        }
        NDArray mask = AttentionMasks.causal(ids.getManager(), length, attentionMask, config.slidingWindow());
        NDList cosSin = rotary.cosSin(ids.getManager(), length);
        NDArray hidden = module("embed_tokens").forward(ps, new NDList(ids), training, params).head();
        ModuleList layers = (ModuleList) module("layers");
        for (int i = 0; i < layers.size(); i++) {
            hidden = layers.get(i).forward(ps, new NDList(hidden, mask, cosSin.get(0), cosSin.get(1)), training, params).head();
        }
        NDArray out = module("norm").forward(ps, new NDList(hidden), training, params).head();
        out.setName("last_hidden_state");
        return new NDList(out);
    }
}

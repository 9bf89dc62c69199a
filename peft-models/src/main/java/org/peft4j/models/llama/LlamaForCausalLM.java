package org.peft4j.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.peft4j.core.nn.DenseLinear;
import org.peft4j.core.nn.ModuleBlock;
import org.peft4j.models.checkpoint.HeadParameters;
import org.peft4j.models.layers.Embedding;
import org.peft4j.models.layers.HfInitialization;

import java.util.Arrays;
import java.util.List;

/**
 * A Llama-family causal language model, as Hugging Face's {@code LlamaForCausalLM}: children {@code
 * model} ({@link LlamaModel}) and {@code lm_head} ({@link DenseLinear} {@code [vocab, H]} without
 * bias, or a {@link TiedLmHead} over {@code model.embed_tokens} with {@code tie_word_embeddings}).
 * Parameter paths are the state-dict keys ({@code model.layers.0.self_attn.q_proj.weight}, {@code
 * lm_head.weight}). Also {@code MistralForCausalLM} and {@code Qwen2ForCausalLM}, which have the
 * same layout ({@link LlamaConfig#modelType()} {@code "mistral"}, with its sliding attention window;
 * {@code "qwen2"}, with biases on q/k/v).
 *
 * <p>Input: {@code NDList(input_ids)}, {@code NDList(input_ids, attention_mask)} or {@code
 * NDList(input_ids, attention_mask, labels)}, each {@code [B, T]} int64. Output: {@code
 * NDList(logits [B, T, vocab])}, plus {@code loss} (scalar, {@link CausalLmLoss}) when labels are
 * given; float32, named.
 */
public final class LlamaForCausalLM extends ModuleBlock implements HeadParameters {

    private final LlamaConfig config;

    /**
     * Creates the model.
     *
     * @param config the model config
     */
    public LlamaForCausalLM(LlamaConfig config) {
        this.config = config;
        LlamaModel model = registerModule("model", new LlamaModel(config));
        if (config.tieWordEmbeddings()) {
            registerModule("lm_head", new TiedLmHead((Embedding) model.module("embed_tokens")));
        } else {
            registerModule("lm_head", new DenseLinear(config.hiddenSize(), config.vocabSize(), false));
        }
        HfInitialization.apply(this, config.initializerRange());
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
     * The output projection, which a base checkpoint with tied embeddings does not store.
     *
     * @return {@code lm_head.*}
     */
    @Override
    public List<String> headParameterPatterns() {
        return List.of("lm_head.*");
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        if (inputs.isEmpty() || inputs.size() > 3) {
            throw new IllegalArgumentException(
                    "LlamaForCausalLM expects NDList(input_ids, [attention_mask, [labels]]), got " + inputs.size() + " arrays");
        }
        NDList modelIn = inputs.size() == 1 ? new NDList(inputs.get(0)) : new NDList(inputs.get(0), inputs.get(1));
        NDArray hidden = module("model").forward(ps, modelIn, training, params).head();
        NDArray logits = module("lm_head").forward(ps, new NDList(hidden), training, params).head();
        logits.setName("logits");
        if (inputs.size() < 3) {
            return new NDList(logits);
        }
        NDArray loss = CausalLmLoss.compute(logits, inputs.get(2));
        loss.setName("loss");
        return new NDList(logits, loss);
    }

    /**
     * Continues a prompt greedily: each step runs the whole sequence (no key/value cache) and
     * appends the most likely next token, until {@code maxNewTokens} tokens are added or an
     * end-of-sequence token ({@link LlamaConfig#eosTokenIds()}) is produced (it is included). Every
     * step's arrays live in a sub-manager closed at the end of the step.
     *
     * @param manager where the steps compute (its device is used)
     * @param promptIds the prompt's token ids, at least one
     * @param maxNewTokens the most tokens to add
     * @return the prompt followed by the generated ids
     */
    public long[] generateGreedy(NDManager manager, long[] promptIds, int maxNewTokens) {
        if (promptIds.length == 0) {
            throw new IllegalArgumentException("the prompt must hold at least one token");
        }
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("maxNewTokens must be >= 0, got " + maxNewTokens);
        }
        long[] ids = promptIds.clone();
        for (int step = 0; step < maxNewTokens && ids.length < config.maxPositionEmbeddings(); step++) {
            long next;
            try (NDManager scope = manager.newSubManager()) {
                NDArray input = scope.create(ids, new Shape(1, ids.length));
                NDArray logits = forward(new ParameterStore(scope, false), new NDList(input), false).head();
                next = logits.get(0, ids.length - 1).argMax().getLong();
            }
            ids = Arrays.copyOf(ids, ids.length + 1);
            ids[ids.length - 1] = next;
            if (config.eosTokenIds().contains((int) next)) {
                break;
            }
        }
        return ids;
    }
}

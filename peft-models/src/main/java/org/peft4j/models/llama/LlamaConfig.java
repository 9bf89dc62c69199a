package org.peft4j.models.llama;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import org.peft4j.models.config.ConfigJson;
import org.peft4j.models.config.ModelConfigException;
import org.peft4j.models.layers.HiddenActivation;

import java.nio.file.Path;
import java.util.List;

/**
 * The configuration of a Llama-family decoder, with the field names and defaults of Hugging Face's
 * {@code LlamaConfig} (transformers 4.x). Transformers 5's {@code rope_parameters} object, which
 * holds {@code rope_theta} and the scaling fields, is read too. Immutable; every value is checked in
 * the constructor.
 *
 * @param vocabSize {@code vocab_size}
 * @param hiddenSize {@code hidden_size} H
 * @param intermediateSize {@code intermediate_size}, width of the SwiGLU layer
 * @param numHiddenLayers {@code num_hidden_layers}
 * @param numAttentionHeads {@code num_attention_heads}
 * @param numKeyValueHeads {@code num_key_value_heads} (grouped-query attention), divides the heads
 * @param headDim {@code head_dim}, {@code hiddenSize / numAttentionHeads} unless given
 * @param hiddenAct {@code hidden_act}, {@code silu} for Llama
 * @param maxPositionEmbeddings {@code max_position_embeddings}
 * @param initializerRange {@code initializer_range}
 * @param rmsNormEps {@code rms_norm_eps}
 * @param ropeTheta {@code rope_theta} (or {@code rope_parameters.rope_theta})
 * @param ropeScaling {@code rope_scaling} (or the scaling fields of {@code rope_parameters}), or null
 * @param attentionBias {@code attention_bias}: biases on the q/k/v/o projections
 * @param attentionDropout {@code attention_dropout}, in [0, 1)
 * @param mlpBias {@code mlp_bias}: biases on gate/up/down
 * @param tieWordEmbeddings {@code tie_word_embeddings}: {@code lm_head} reuses {@code embed_tokens}
 * @param bosTokenId {@code bos_token_id}, or -1 when none
 * @param eosTokenIds {@code eos_token_id} (one or several), possibly empty
 * @param modelType {@code model_type}: {@code "llama"}, {@code "mistral"} (Llama's architecture
 *     without biases, with an optional sliding attention window) or {@code "qwen2"} (Llama's
 *     architecture with biases on q/k/v and none on o_proj or the MLP)
 * @param slidingWindow {@code sliding_window} (Mistral): each position attends to itself and the
 *     {@code slidingWindow - 1} positions before it; 0 for none (Llama, or Mistral's {@code null})
 */
public record LlamaConfig(
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        HiddenActivation hiddenAct,
        int maxPositionEmbeddings,
        double initializerRange,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        boolean attentionBias,
        double attentionDropout,
        boolean mlpBias,
        boolean tieWordEmbeddings,
        int bosTokenId,
        List<Integer> eosTokenIds,
        String modelType,
        int slidingWindow) {

    /** The {@code model_type} values read and written. */
    public static final List<String> MODEL_TYPES = List.of("llama", "mistral", "qwen2");

    /** Validates every field; the message names the field and the allowed values. */
    public LlamaConfig {
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_hidden_layers", numHiddenLayers);
        positive("num_attention_heads", numAttentionHeads);
        positive("num_key_value_heads", numKeyValueHeads);
        positive("head_dim", headDim);
        positive("max_position_embeddings", maxPositionEmbeddings);
        if (numAttentionHeads % numKeyValueHeads != 0) {
            throw new ModelConfigException("LlamaConfig: num_attention_heads " + numAttentionHeads
                    + " must be a multiple of num_key_value_heads " + numKeyValueHeads);
        }
        if (headDim % 2 != 0) {
            throw new ModelConfigException("LlamaConfig: head_dim " + headDim + " must be even (rotary pairs)");
        }
        if (hiddenAct == null) {
            throw new ModelConfigException("LlamaConfig: hidden_act is required; allowed: " + HiddenActivation.allowedNames());
        }
        if (!(initializerRange > 0) || Double.isInfinite(initializerRange)) {
            throw new ModelConfigException("LlamaConfig: initializer_range is " + initializerRange + "; allowed: > 0");
        }
        if (!(rmsNormEps > 0) || Double.isInfinite(rmsNormEps)) {
            throw new ModelConfigException("LlamaConfig: rms_norm_eps is " + rmsNormEps + "; allowed: > 0");
        }
        if (!(ropeTheta > 1) || Double.isInfinite(ropeTheta)) {
            throw new ModelConfigException("LlamaConfig: rope_theta is " + ropeTheta + "; allowed: > 1");
        }
        if (!(attentionDropout >= 0 && attentionDropout < 1)) {
            throw new ModelConfigException("LlamaConfig: attention_dropout is " + attentionDropout + "; allowed: 0 <= p < 1");
        }
        if (bosTokenId < -1 || bosTokenId >= vocabSize) {
            throw new ModelConfigException("LlamaConfig: bos_token_id is " + bosTokenId + "; allowed: 0.." + (vocabSize - 1));
        }
        if (!MODEL_TYPES.contains(modelType)) {
            throw new ModelConfigException("LlamaConfig: model_type is '" + modelType + "'; allowed: " + MODEL_TYPES);
        }
        if (slidingWindow < 0 || (slidingWindow > 0 && !modelType.equals("mistral"))) {
            throw new ModelConfigException("LlamaConfig: sliding_window is " + slidingWindow + " for model_type '" + modelType
                    + "'; allowed: >= 1 for mistral, or none (0)");
        }
        if (!modelType.equals("llama") && (attentionBias || mlpBias)) {
            throw new ModelConfigException("LlamaConfig: model_type '" + modelType + "' fixes its biases"
                    + " (mistral: none; qwen2: q/k/v only); attention_bias and mlp_bias must be false");
        }
        eosTokenIds = List.copyOf(eosTokenIds);
        for (int eos : eosTokenIds) {
            if (eos < 0 || eos >= vocabSize) {
                throw new ModelConfigException("LlamaConfig: eos_token_id " + eos + " out of range; allowed: 0.." + (vocabSize - 1));
            }
        }
    }

    /**
     * Returns whether q_proj, k_proj and v_proj have biases: {@code attention_bias} for Llama, always
     * for Qwen2.
     *
     * @return whether the q/k/v projections have biases
     */
    public boolean qkvBias() {
        return attentionBias || modelType.equals("qwen2");
    }

    /**
     * Returns how many query heads share one key/value head.
     *
     * @return {@code numAttentionHeads / numKeyValueHeads}
     */
    public int queriesPerKeyValue() {
        return numAttentionHeads / numKeyValueHeads;
    }

    /**
     * Reads a {@code config.json} file. Unknown fields are ignored.
     *
     * @param file the file
     * @return the config
     * @throws ModelConfigException naming the file and the bad field
     */
    public static LlamaConfig fromFile(Path file) {
        return fromJson(ConfigJson.read(file));
    }

    /**
     * Parses {@code config.json} text. Unknown fields are ignored.
     *
     * @param json the JSON text
     * @return the config
     */
    public static LlamaConfig fromJson(String json) {
        return fromJson(ConfigJson.parse(json, "config.json"));
    }

    /**
     * Builds the config from a parsed {@code config.json}; absent or null fields take HF's {@code
     * LlamaConfig} defaults. The rotary settings come from {@code rope_parameters} (transformers 5)
     * when present, else from {@code rope_theta} and {@code rope_scaling} (transformers 4); a file
     * with both must give the same values in both, and {@code partial_rotary_factor} (top level or in
     * {@code rope_parameters}) must be 1.
     *
     * @param json the parsed object
     * @return the config
     * @throws ModelConfigException naming the source and the bad field
     */
    public static LlamaConfig fromJson(ConfigJson json) {
        String modelType = json.getString("model_type", "llama");
        if (!MODEL_TYPES.contains(modelType)) {
            throw json.outOfRange("model_type", "'" + modelType + "'", "'llama', 'mistral' or 'qwen2'");
        }
        boolean mistral = modelType.equals("mistral");
        boolean qwen2 = modelType.equals("qwen2");
        if (qwen2) {
            // Qwen2 slides its window only on some layers (max_window_layers / layer_types)
            if (json.getBoolean("use_sliding_window", false)) {
                throw json.outOfRange("use_sliding_window", true, "false (Qwen2's per-layer sliding window is not supported)");
            }
            if (json.has("layer_types")) {
                com.google.gson.JsonElement types = json.object().get("layer_types");
                if (!types.isJsonArray()) {
                    throw json.outOfRange("layer_types", types, "a list of 'full_attention'");
                }
                for (com.google.gson.JsonElement t : types.getAsJsonArray()) {
                    if (!t.isJsonPrimitive() || !t.getAsString().equals("full_attention")) {
                        throw json.outOfRange("layer_types", t, "'full_attention' only (sliding attention layers are not supported)");
                    }
                }
            }
        }
        String act = json.getString("hidden_act", "silu");
        HiddenActivation activation;
        try {
            activation = HiddenActivation.fromHfName(act);
        } catch (IllegalArgumentException e) {
            throw json.outOfRange("hidden_act", "'" + act + "'", HiddenActivation.allowedNames());
        }
        int hidden = json.getInt("hidden_size", 4096);
        int heads = json.getInt("num_attention_heads", 32);
        if (heads <= 0) {
            throw json.outOfRange("num_attention_heads", heads, ">= 1");
        }
        double theta = json.getDouble("rope_theta", 10000.0);
        RopeScaling scaling = readRopeScaling(json, "rope_scaling");
        // transformers 4 reads a top-level partial_rotary_factor for every model type (rope utils)
        double topPartial = json.getDouble("partial_rotary_factor", 1.0);
        if (topPartial != 1.0) {
            throw json.outOfRange("partial_rotary_factor", topPartial, "1.0 (partial rotary embeddings are not supported)");
        }
        ConfigJson parameters = json.getObject("rope_parameters");
        if (parameters != null) {
            // transformers >= 5 writes rope_theta and the scaling fields into this one object
            double partial = parameters.getDouble("partial_rotary_factor", 1.0);
            if (partial != 1.0) {
                throw json.outOfRange("rope_parameters.partial_rotary_factor", partial,
                        "1.0 (partial rotary embeddings are not supported)");
            }
            double newTheta = parameters.getDouble("rope_theta", theta);
            if (json.has("rope_theta") && Double.compare(newTheta, theta) != 0) {
                throw new ModelConfigException(json.source() + ": fields 'rope_theta' (" + theta
                        + ") and 'rope_parameters.rope_theta' (" + newTheta
                        + ") disagree; give one of them, or the same value in both");
            }
            RopeScaling newScaling = readRopeScaling(json, "rope_parameters");
            if (json.has("rope_scaling") && !ropeScalingJson(newScaling).equals(ropeScalingJson(scaling))) {
                throw new ModelConfigException(json.source() + ": fields 'rope_scaling' (" + ropeScalingJson(scaling)
                        + ") and 'rope_parameters' (" + ropeScalingJson(newScaling)
                        + ") give different rope scaling; give one of them, or the same scaling in both");
            }
            theta = newTheta;
            scaling = newScaling;
        }
        try {
            return new LlamaConfig(
                    json.getInt("vocab_size", qwen2 ? 151936 : 32000),
                    hidden,
                    json.getInt("intermediate_size", mistral ? 14336 : qwen2 ? 22016 : 11008),
                    json.getInt("num_hidden_layers", 32),
                    heads,
                    json.getInt("num_key_value_heads", mistral ? 8 : heads),
                    json.getInt("head_dim", hidden / heads),
                    activation,
                    json.getInt("max_position_embeddings", mistral ? 4096 * 32 : qwen2 ? 32768 : 2048),
                    json.getDouble("initializer_range", 0.02),
                    json.getDouble("rms_norm_eps", 1e-6),
                    theta,
                    scaling,
                    // transformers' Mistral and Qwen2 fix their biases by type and have no such fields
                    !mistral && !qwen2 && json.getBoolean("attention_bias", false),
                    json.getDouble("attention_dropout", 0.0),
                    !mistral && !qwen2 && json.getBoolean("mlp_bias", false),
                    json.getBoolean("tie_word_embeddings", false),
                    json.getInt("bos_token_id", qwen2 ? -1 : 1),
                    json.has("eos_token_id") ? json.getIntList("eos_token_id") : qwen2 ? List.of() : List.of(2),
                    modelType,
                    mistral ? slidingWindow(json) : 0);
        } catch (ModelConfigException e) {
            throw new ModelConfigException(json.source() + ": " + e.getMessage(), e);
        }
    }

    // MistralConfig: sliding_window defaults to 4096 when absent; null (Mistral v0.2 and later) means none
    private static int slidingWindow(ConfigJson json) {
        if (!json.hasKey("sliding_window")) {
            return 4096;
        }
        if (!json.has("sliding_window")) {
            return 0;
        }
        int w = json.getInt("sliding_window", 0);
        if (w < 1) {
            throw json.outOfRange("sliding_window", w, ">= 1, or null for none");
        }
        return w;
    }

    /**
     * Reads the scaling fields of {@code rope_scaling} (transformers 4) or {@code rope_parameters}
     * (transformers 5): the same names and defaults in both.
     *
     * @param json the whole config
     * @param field {@code "rope_scaling"} or {@code "rope_parameters"}
     * @return the scaling, or null when the object is absent or its type is {@code "default"}
     */
    private static RopeScaling readRopeScaling(ConfigJson json, String field) {
        ConfigJson rope = json.getObject(field);
        if (rope == null) {
            return null;
        }
        String type = rope.getString("rope_type", rope.getString("type", "default"));
        if (type.equals("default")) {
            return null;
        }
        if (!RopeScaling.isSupported(type)) {
            String typeField = field + (rope.has("rope_type") ? ".rope_type" : ".type");
            throw json.outOfRange(typeField, "'" + type + "'", RopeScaling.ALLOWED_TYPES);
        }
        try {
            return new RopeScaling(
                    type,
                    rope.getDouble("factor", 1.0),
                    rope.getDouble("low_freq_factor", 1.0),
                    rope.getDouble("high_freq_factor", 4.0),
                    rope.getInt("original_max_position_embeddings", 8192));
        } catch (IllegalArgumentException e) {
            throw new ModelConfigException(json.source() + ": field '" + field + "': " + e.getMessage(), e);
        }
    }

    /**
     * The scaling fields as written to {@code config.json}: the type, and only the values that type
     * uses.
     *
     * @param scaling a scaling, or null for none
     * @return {@code {"rope_type": "default"}} for none
     */
    private static JsonObject ropeScalingJson(RopeScaling scaling) {
        JsonObject rope = new JsonObject();
        if (scaling == null) {
            rope.addProperty("rope_type", "default");
            return rope;
        }
        rope.addProperty("rope_type", scaling.type());
        rope.addProperty("factor", scaling.factor());
        if (scaling.type().equals("llama3")) {
            rope.addProperty("low_freq_factor", scaling.lowFreqFactor());
            rope.addProperty("high_freq_factor", scaling.highFreqFactor());
            rope.addProperty("original_max_position_embeddings", scaling.originalMaxPositionEmbeddings());
        }
        return rope;
    }

    /**
     * Writes the config as Hugging Face's {@code config.json} of a {@code LlamaForCausalLM}. The
     * rotary settings are written twice, as transformers 4 reads them ({@code rope_theta}, {@code
     * rope_scaling}) and as transformers 5 does ({@code rope_parameters}), with the same values.
     *
     * @return pretty-printed JSON text
     */
    public String toJson() {
        JsonObject o = new JsonObject();
        JsonArray arch = new JsonArray();
        arch.add(modelType.equals("mistral") ? "MistralForCausalLM" : modelType.equals("qwen2") ? "Qwen2ForCausalLM" : "LlamaForCausalLM");
        o.add("architectures", arch);
        if (modelType.equals("llama")) {
            o.addProperty("attention_bias", attentionBias);
        }
        o.addProperty("attention_dropout", attentionDropout);
        if (bosTokenId >= 0) {
            o.addProperty("bos_token_id", bosTokenId);
        }
        if (eosTokenIds.size() == 1) {
            o.addProperty("eos_token_id", eosTokenIds.get(0));
        } else if (!eosTokenIds.isEmpty()) {
            JsonArray eos = new JsonArray();
            eosTokenIds.forEach(eos::add);
            o.add("eos_token_id", eos);
        }
        o.addProperty("head_dim", headDim);
        o.addProperty("hidden_act", hiddenAct.hfName());
        o.addProperty("hidden_size", hiddenSize);
        o.addProperty("initializer_range", initializerRange);
        o.addProperty("intermediate_size", intermediateSize);
        o.addProperty("max_position_embeddings", maxPositionEmbeddings);
        if (modelType.equals("llama")) {
            o.addProperty("mlp_bias", mlpBias);
        }
        o.addProperty("model_type", modelType);
        o.addProperty("num_attention_heads", numAttentionHeads);
        o.addProperty("num_hidden_layers", numHiddenLayers);
        o.addProperty("num_key_value_heads", numKeyValueHeads);
        o.addProperty("rms_norm_eps", rmsNormEps);
        JsonObject parameters = new JsonObject();
        parameters.addProperty("rope_theta", ropeTheta);
        ropeScalingJson(ropeScaling).entrySet().forEach(e -> parameters.add(e.getKey(), e.getValue()));
        o.add("rope_parameters", parameters);
        if (ropeScaling != null) {
            o.add("rope_scaling", ropeScalingJson(ropeScaling));
        }
        o.addProperty("rope_theta", ropeTheta);
        if (modelType.equals("mistral")) {
            if (slidingWindow > 0) {
                o.addProperty("sliding_window", slidingWindow);
            } else {
                o.add("sliding_window", com.google.gson.JsonNull.INSTANCE);
            }
        }
        if (modelType.equals("qwen2")) {
            o.addProperty("use_sliding_window", false);
        }
        o.addProperty("tie_word_embeddings", tieWordEmbeddings);
        o.addProperty("torch_dtype", "float32");
        o.addProperty("vocab_size", vocabSize);
        // serializeNulls: a Mistral without a window is written "sliding_window": null (absent means 4096)
        return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(o) + "\n";
    }

    /**
     * Returns a builder with HF's {@code LlamaConfig} defaults (Llama-2-7B shapes, vocab 32000).
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    private static void positive(String field, int value) {
        if (value <= 0) {
            throw new ModelConfigException("LlamaConfig: " + field + " is " + value + "; allowed: >= 1");
        }
    }

    /** Builds a {@link LlamaConfig}; defaults are HF's {@code LlamaConfig} defaults. */
    public static final class Builder {
        private int vocabSize = 32000;
        private int hiddenSize = 4096;
        private int intermediateSize = 11008;
        private int numHiddenLayers = 32;
        private int numAttentionHeads = 32;
        private Integer numKeyValueHeads;
        private Integer headDim;
        private HiddenActivation hiddenAct = HiddenActivation.SILU;
        private int maxPositionEmbeddings = 2048;
        private double initializerRange = 0.02;
        private double rmsNormEps = 1e-6;
        private double ropeTheta = 10000.0;
        private RopeScaling ropeScaling;
        private boolean attentionBias;
        private double attentionDropout;
        private boolean mlpBias;
        private boolean tieWordEmbeddings;
        private int bosTokenId = 1;
        private List<Integer> eosTokenIds = List.of(2);
        private String modelType = "llama";
        private int slidingWindow;

        private Builder() {}

        /** @param v {@code vocab_size} @return this */
        public Builder vocabSize(int v) { vocabSize = v; return this; }

        /** @param v {@code hidden_size} @return this */
        public Builder hiddenSize(int v) { hiddenSize = v; return this; }

        /** @param v {@code intermediate_size} @return this */
        public Builder intermediateSize(int v) { intermediateSize = v; return this; }

        /** @param v {@code num_hidden_layers} @return this */
        public Builder numHiddenLayers(int v) { numHiddenLayers = v; return this; }

        /** @param v {@code num_attention_heads} @return this */
        public Builder numAttentionHeads(int v) { numAttentionHeads = v; return this; }

        /** @param v {@code num_key_value_heads} (default: the number of heads) @return this */
        public Builder numKeyValueHeads(int v) { numKeyValueHeads = v; return this; }

        /** @param v {@code head_dim} (default: hidden / heads) @return this */
        public Builder headDim(int v) { headDim = v; return this; }

        /** @param v {@code hidden_act} @return this */
        public Builder hiddenAct(HiddenActivation v) { hiddenAct = v; return this; }

        /** @param v {@code max_position_embeddings} @return this */
        public Builder maxPositionEmbeddings(int v) { maxPositionEmbeddings = v; return this; }

        /** @param v {@code initializer_range} @return this */
        public Builder initializerRange(double v) { initializerRange = v; return this; }

        /** @param v {@code rms_norm_eps} @return this */
        public Builder rmsNormEps(double v) { rmsNormEps = v; return this; }

        /** @param v {@code rope_theta} @return this */
        public Builder ropeTheta(double v) { ropeTheta = v; return this; }

        /** @param v {@code rope_scaling}, or null @return this */
        public Builder ropeScaling(RopeScaling v) { ropeScaling = v; return this; }

        /** @param v {@code attention_bias} @return this */
        public Builder attentionBias(boolean v) { attentionBias = v; return this; }

        /** @param v {@code attention_dropout} @return this */
        public Builder attentionDropout(double v) { attentionDropout = v; return this; }

        /** @param v {@code mlp_bias} @return this */
        public Builder mlpBias(boolean v) { mlpBias = v; return this; }

        /** @param v {@code tie_word_embeddings} @return this */
        public Builder tieWordEmbeddings(boolean v) { tieWordEmbeddings = v; return this; }

        /** @param v {@code bos_token_id}, -1 for none @return this */
        public Builder bosTokenId(int v) { bosTokenId = v; return this; }

        /** @param v {@code eos_token_id} values @return this */
        public Builder eosTokenIds(List<Integer> v) { eosTokenIds = v; return this; }

        /** @param v {@code model_type}: {@code "llama"} (default), {@code "mistral"} or {@code "qwen2"} @return this */
        public Builder modelType(String v) { modelType = v; return this; }

        /** @param v {@code sliding_window} (Mistral), 0 for none (default) @return this */
        public Builder slidingWindow(int v) { slidingWindow = v; return this; }

        /**
         * Validates and builds.
         *
         * @return the config
         */
        public LlamaConfig build() {
            if (numAttentionHeads <= 0) {
                throw new ModelConfigException("LlamaConfig: num_attention_heads is " + numAttentionHeads + "; allowed: >= 1");
            }
            return new LlamaConfig(
                    vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                    numKeyValueHeads != null ? numKeyValueHeads : numAttentionHeads,
                    headDim != null ? headDim : hiddenSize / numAttentionHeads,
                    hiddenAct, maxPositionEmbeddings, initializerRange, rmsNormEps, ropeTheta, ropeScaling,
                    attentionBias, attentionDropout, mlpBias, tieWordEmbeddings, bosTokenId, eosTokenIds, modelType, slidingWindow);
        }
    }
}

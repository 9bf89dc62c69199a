package org.peft4j.models.bert;

import ai.djl.ndarray.NDManager;

import org.peft4j.models.checkpoint.CheckpointLoader;
import org.peft4j.models.checkpoint.HfCheckpoints;
import org.peft4j.models.checkpoint.LoadOptions;
import org.peft4j.models.checkpoint.LoadReport;
import org.peft4j.models.checkpoint.LoadedModel;
import org.peft4j.models.checkpoint.SafetensorsTensorSource;
import org.peft4j.models.checkpoint.TensorSource;

import java.nio.file.Path;

/**
 * Loads and saves BERT-family models in Hugging Face folders ({@code config.json} + {@code
 * model.safetensors} or shards). As transformers does, a {@code BertModel} checkpoint (keys {@code
 * embeddings.*}) loads into a classifier (keys {@code bert.*}) and the other way round: the {@code
 * bert.} prefix is added or removed as needed, and task heads a {@code BertModel} has no use for
 * ({@code classifier.*}, {@code cls.*}) are ignored and reported.
 */
public final class BertCheckpoints {

    private static final String PREFIX = "bert.";

    private BertCheckpoints() {}

    /**
     * Loads a {@code BertForSequenceClassification}; the number of labels comes from {@code config.json}.
     *
     * @param dir the model folder
     * @param manager the owner of the weights
     * @param options what may be missing ({@link LoadOptions.Builder#allowMissingHeads()} for a new
     *     classifier on a base checkpoint)
     * @return the model and the load report
     * @throws org.peft4j.models.checkpoint.CheckpointException listing missing, unexpected and mis-shaped keys
     */
    public static LoadedModel<BertForSequenceClassification> loadForSequenceClassification(
            Path dir, NDManager manager, LoadOptions options) {
        BertConfig config = BertConfig.fromFile(HfCheckpoints.configFile(dir));
        BertForSequenceClassification model = new BertForSequenceClassification(config);
        try (TensorSource source = SafetensorsTensorSource.openDirectory(dir)) {
            boolean prefixed = source.names().stream().anyMatch(n -> n.startsWith(PREFIX));
            TensorSource named = prefixed ? source : source.withPrefix(PREFIX);
            LoadReport report = CheckpointLoader.load(model, named, manager, options);
            return new LoadedModel<>(model, report);
        }
    }

    /**
     * Loads a {@code BertModel} (with a pooler when the checkpoint has one).
     *
     * @param dir the model folder
     * @param manager the owner of the weights
     * @param options what may be missing or ignored
     * @return the model and the load report
     */
    public static LoadedModel<BertModel> loadModel(Path dir, NDManager manager, LoadOptions options) {
        BertConfig config = BertConfig.fromFile(HfCheckpoints.configFile(dir));
        try (TensorSource source = encoderView(SafetensorsTensorSource.openDirectory(dir))) {
            BertModel model = new BertModel(config, source.names().stream().anyMatch(n -> n.startsWith("pooler.")));
            LoadReport report = CheckpointLoader.load(model, source, manager, options.withIgnored("classifier.*", "cls.*"));
            return new LoadedModel<>(model, report);
        }
    }

    /**
     * Loads a sentence-transformers style encoder as a {@link BertSentenceEmbedder} (with a pooler
     * when the checkpoint has one, unused by the embedding).
     *
     * @param dir the model folder
     * @param manager the owner of the weights
     * @param normalize whether embeddings are scaled to unit L2 norm
     * @param options what may be missing or ignored
     * @return the model and the load report
     */
    public static LoadedModel<BertSentenceEmbedder> loadSentenceEmbedder(
            Path dir, NDManager manager, boolean normalize, LoadOptions options) {
        BertConfig config = BertConfig.fromFile(HfCheckpoints.configFile(dir));
        try (TensorSource source = encoderView(SafetensorsTensorSource.openDirectory(dir))) {
            boolean pooler = source.names().stream().anyMatch(n -> n.startsWith("pooler."));
            BertSentenceEmbedder model = new BertSentenceEmbedder(config, pooler, normalize);
            LoadReport report = CheckpointLoader.load(model, source, manager, options.withIgnored("classifier.*", "cls.*"));
            return new LoadedModel<>(model, report);
        }
    }

    /**
     * Saves a classifier as Hugging Face's {@code BertForSequenceClassification}.
     *
     * @param dir the folder, created if needed
     * @param model the model
     */
    public static void save(Path dir, BertForSequenceClassification model) {
        HfCheckpoints.save(dir, model.config().toJson("BertForSequenceClassification"), model);
    }

    /**
     * Saves an encoder as Hugging Face's {@code BertModel}.
     *
     * @param dir the folder, created if needed
     * @param model the model
     */
    public static void save(Path dir, BertModel model) {
        HfCheckpoints.save(dir, model.config().toJson("BertModel"), model);
    }

    private static TensorSource encoderView(TensorSource source) {
        boolean prefixed = source.names().stream().anyMatch(n -> n.startsWith(PREFIX));
        return prefixed ? source.withoutPrefix(PREFIX) : source;
    }
}

package org.peft4j.models.llama;

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
 * Loads and saves Llama-family models in Hugging Face folders ({@code config.json} + {@code
 * model.safetensors} or {@code model.safetensors.index.json} with shards; F32, F16 or BF16 tensors,
 * loaded as float32).
 */
public final class LlamaCheckpoints {

    private LlamaCheckpoints() {}

    /**
     * Loads a {@code LlamaForCausalLM}. With tied embeddings a stored {@code lm_head.weight} (some
     * exporters write it) is ignored and reported.
     *
     * @param dir the model folder
     * @param manager the owner of the weights
     * @param options what may be missing or ignored
     * @return the model and the load report
     * @throws org.peft4j.models.checkpoint.CheckpointException listing missing, unexpected and mis-shaped keys
     */
    public static LoadedModel<LlamaForCausalLM> loadForCausalLM(Path dir, NDManager manager, LoadOptions options) {
        LlamaConfig config = LlamaConfig.fromFile(HfCheckpoints.configFile(dir));
        LlamaForCausalLM model = new LlamaForCausalLM(config);
        LoadOptions effective = config.tieWordEmbeddings() ? options.withIgnored("lm_head.weight") : options;
        try (TensorSource source = SafetensorsTensorSource.openDirectory(dir)) {
            LoadReport report = CheckpointLoader.load(model, source, manager, effective);
            return new LoadedModel<>(model, report);
        }
    }

    /**
     * Saves a model as Hugging Face's {@code LlamaForCausalLM} (float32 {@code model.safetensors};
     * with tied embeddings the table is stored once, as {@code model.embed_tokens.weight}).
     *
     * @param dir the folder, created if needed
     * @param model the model
     */
    public static void save(Path dir, LlamaForCausalLM model) {
        HfCheckpoints.save(dir, model.config().toJson(), model);
    }
}

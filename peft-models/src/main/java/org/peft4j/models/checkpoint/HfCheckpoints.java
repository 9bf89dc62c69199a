package org.peft4j.models.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;

import org.peft4j.core.io.AtomicFiles;
import org.peft4j.core.io.SafetensorsWriter;
import org.peft4j.core.io.ShardedSafetensors;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.core.nn.LinearLayer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hugging Face model folders: {@code config.json} next to {@code model.safetensors} (or {@code
 * model.safetensors.index.json} and its shards).
 */
public final class HfCheckpoints {

    /** The config file name. */
    public static final String CONFIG_FILE = "config.json";

    private HfCheckpoints() {}

    /**
     * Saves a model as Hugging Face does with {@code save_pretrained(safe_serialization=True)}: {@code
     * config.json} and a single {@code model.safetensors} whose keys are the model's parameter paths
     * ({@link BlockPaths#parameters(Block)}; a parameter shared by two blocks, such as tied
     * embeddings, is written once) with metadata {@code {"format": "pt"}}. Each file is written
     * atomically (temporary file in the folder, fsync, rename); a previous index file is removed so
     * that the folder holds one checkpoint.
     *
     * @param dir the folder, created if needed
     * @param configJson the {@code config.json} text (e.g. {@code BertConfig.toJson(...)})
     * @param model the model; every parameter must have an array
     * @throws CheckpointException if a parameter is not initialised, a linear layer holds its weight
     *     outside the parameters (a 4-bit layer: dequantize it first), or a file cannot be written
     */
    public static void save(Path dir, String configJson, Block model) {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : BlockPaths.parameters(model).entrySet()) {
            if (!e.getValue().isInitialized()) {
                throw new CheckpointException("cannot save: parameter '" + e.getKey() + "' has no value; initialise or load the model first");
            }
            tensors.put(e.getKey(), e.getValue().getArray());
        }
        // a linear layer that holds its weight outside DJL's parameters (a 4-bit layer) would be left out silently
        for (BlockPaths.Node node : BlockPaths.walk(model)) {
            if (node.block() instanceof LinearLayer && !node.path().isEmpty() && !tensors.containsKey(node.path() + ".weight")) {
                throw new CheckpointException("cannot save: layer '" + node.path() + "' (" + node.block().getClass().getSimpleName()
                        + ") holds its weight outside the model's parameters, so '" + node.path() + ".weight' would be missing from "
                        + dir.resolve(ShardedSafetensors.SINGLE_FILE) + "; dequantize the model first (ModelQuantizer.dequantize) or write"
                        + " a quantized checkpoint (bin/peft4j quantize)");
            }
        }
        try {
            Files.createDirectories(dir);
            SafetensorsWriter.save(dir.resolve(ShardedSafetensors.SINGLE_FILE), tensors, Map.of("format", "pt"));
            AtomicFiles.writeString(dir.resolve(CONFIG_FILE), configJson);
            Files.deleteIfExists(dir.resolve(ShardedSafetensors.INDEX_FILE));
        } catch (IOException e) {
            throw new CheckpointException("cannot save the model to " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Returns the path of a folder's {@code config.json}, checking that it exists.
     *
     * @param dir the model folder
     * @return the config file
     * @throws CheckpointException if it is missing
     */
    public static Path configFile(Path dir) {
        Path config = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(config)) {
            throw new CheckpointException("no " + CONFIG_FILE + " in " + dir + "; a Hugging Face model folder has "
                    + List.of(CONFIG_FILE, ShardedSafetensors.SINGLE_FILE + " or " + ShardedSafetensors.INDEX_FILE));
        }
        return config;
    }
}

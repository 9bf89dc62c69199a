package org.peft4j.models.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.peft4j.core.io.SafetensorsReader;
import org.peft4j.core.io.ShardedSafetensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The tensors of a safetensors checkpoint: one file, or the shards of a {@code
 * model.safetensors.index.json}. F32, F16 and BF16 tensors load as float32 (BF16 widened exactly in
 * Java, F16 converted by the engine); files stay memory-mapped until {@link #close()}.
 */
public final class SafetensorsTensorSource implements TensorSource {

    private final ShardedSafetensors sharded;
    private final SafetensorsReader single;
    private final String description;

    private SafetensorsTensorSource(ShardedSafetensors sharded, SafetensorsReader single, String description) {
        this.sharded = sharded;
        this.single = single;
        this.description = description;
    }

    /**
     * Opens the checkpoint of a Hugging Face model folder: {@code model.safetensors}, or else {@code
     * model.safetensors.index.json} and its shards.
     *
     * @param dir the folder
     * @return the source; close it
     * @throws CheckpointException if the folder holds neither, or a file is invalid (pickle checkpoints
     *     are refused with a conversion hint)
     */
    public static SafetensorsTensorSource openDirectory(Path dir) {
        try {
            ShardedSafetensors files = ShardedSafetensors.openDirectory(dir);
            return new SafetensorsTensorSource(files, null, files.source().toString());
        } catch (IOException e) {
            throw new CheckpointException("cannot open the checkpoint in " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Opens one {@code .safetensors} file of any name, or a shard index (a name ending in {@code
     * .json}).
     *
     * @param file the file
     * @return the source; close it
     * @throws CheckpointException if the file is invalid
     */
    public static SafetensorsTensorSource open(Path file) {
        try {
            if (file.getFileName().toString().endsWith(".json")) {
                return new SafetensorsTensorSource(ShardedSafetensors.open(file), null, file.toString());
            }
            return new SafetensorsTensorSource(null, SafetensorsReader.open(file), file.toString());
        } catch (IOException e) {
            throw new CheckpointException("cannot open safetensors file " + file + ": " + e.getMessage(), e);
        }
    }

    /** {@inheritDoc} */
    @Override
    public List<String> names() {
        return sharded != null ? sharded.names() : single.names();
    }

    /** {@inheritDoc} */
    @Override
    public Shape shape(String name) {
        try {
            return new Shape(sharded != null ? sharded.info(name).shape() : single.info(name).shape());
        } catch (IOException e) {
            throw new IllegalArgumentException("no tensor '" + name + "' in " + description + ": " + e.getMessage(), e);
        }
    }

    /** {@inheritDoc} */
    @Override
    public NDArray load(String name, NDManager manager) {
        try {
            return sharded != null
                    ? sharded.load(name, manager, DataType.FLOAT32)
                    : single.load(name, manager, DataType.FLOAT32);
        } catch (IOException e) {
            throw new CheckpointException("cannot read tensor '" + name + "' from " + description + ": " + e.getMessage(), e);
        }
    }

    /** {@inheritDoc} */
    @Override
    public String description() {
        return description;
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        try {
            if (sharded != null) {
                sharded.close();
            } else {
                single.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

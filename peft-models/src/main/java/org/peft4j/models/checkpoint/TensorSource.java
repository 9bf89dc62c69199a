package org.peft4j.models.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.List;
import java.util.Map;

/**
 * Named tensors to load into a model, one at a time: a safetensors checkpoint, the initializers of
 * an ONNX graph, arrays in memory, or a union or renaming of those. Names are Hugging Face
 * state-dict keys ({@code bert.encoder.layer.0.attention.self.query.weight}).
 */
public interface TensorSource extends AutoCloseable {

    /**
     * Returns the tensor names in a stable order, without duplicates.
     *
     * @return the names
     */
    List<String> names();

    /**
     * Returns the shape of one tensor without reading its data.
     *
     * @param name a name from {@link #names()}
     * @return the shape as stored (for a linear weight {@code [out, in]})
     * @throws IllegalArgumentException if there is no such tensor
     */
    Shape shape(String name);

    /**
     * Reads one tensor as float32 (half and bfloat16 data are widened; bfloat16 never reaches the
     * engine as such).
     *
     * @param name a name from {@link #names()}
     * @param manager the owner of the new array (and its device)
     * @return a new float32 array of {@link #shape(String)}, owned by {@code manager}
     * @throws IllegalArgumentException if there is no such tensor
     */
    NDArray load(String name, NDManager manager);

    /**
     * Describes where the tensors come from (a path), for messages.
     *
     * @return a short description
     */
    String description();

    /** Releases files held open. The default does nothing. */
    @Override
    default void close() {}

    /**
     * Returns this source with {@code prefix} put before every name ({@code "bert."} turns a
     * {@code BertModel} checkpoint into the {@code bert.*} part of a classifier).
     *
     * @param prefix the prefix, e.g. {@code "bert."}
     * @return a renaming view; closing it closes this source
     */
    default TensorSource withPrefix(String prefix) {
        return new RenamedTensorSource(this, name -> prefix + name, "with prefix '" + prefix + "'");
    }

    /**
     * Returns this source with {@code prefix} removed from the names that start with it (other names
     * are kept as they are).
     *
     * @param prefix the prefix, e.g. {@code "bert."}
     * @return a renaming view; closing it closes this source
     */
    default TensorSource withoutPrefix(String prefix) {
        return new RenamedTensorSource(
                this, name -> name.startsWith(prefix) ? name.substring(prefix.length()) : name,
                "without prefix '" + prefix + "'");
    }

    /**
     * Wraps arrays held in memory; {@link #load} returns float32 copies.
     *
     * @param tensors name to array; the arrays are not copied until loaded and not closed by the source
     * @param description what they are, for messages
     * @return the source
     */
    static TensorSource of(Map<String, NDArray> tensors, String description) {
        return new InMemoryTensorSource(tensors, description);
    }

    /**
     * Joins sources whose names do not overlap (for example ONNX weights plus a file with the heads
     * the ONNX graph lacks).
     *
     * @param sources the parts; closing the union closes them
     * @return the union
     * @throws CheckpointException listing the names found in more than one part
     */
    static TensorSource union(TensorSource... sources) {
        return new UnionTensorSource(List.of(sources));
    }
}

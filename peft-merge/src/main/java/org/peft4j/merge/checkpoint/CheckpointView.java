package org.peft4j.merge.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * A read-only checkpoint addressed tensor by tensor: a safetensors file or Hugging Face folder, a
 * map of arrays, or a lazy combination of other views (task vector, merge, soup). Nothing is loaded
 * until {@link #load} is called, and each call loads one tensor, so a caller controls peak memory.
 *
 * <p>Floating tensors are returned as float32 whatever their stored dtype (float16 and bfloat16 are
 * widened); integer tensors keep their dtype.
 */
public interface CheckpointView extends AutoCloseable {

    /**
     * @return tensor keys in a stable order (file order for stored checkpoints)
     */
    List<String> names();

    /**
     * @param name checkpoint key
     * @return whether the checkpoint holds it
     */
    boolean contains(String name);

    /**
     * Shape and dtype of a tensor, without loading it.
     *
     * @param name checkpoint key
     * @return its spec
     * @throws org.peft4j.core.PeftException if the key is absent (the message names it)
     */
    TensorSpec spec(String name);

    /**
     * Loads one tensor.
     *
     * @param name checkpoint key
     * @param manager the manager (and device) that will own the array
     * @return the tensor, float32 if floating, owned by {@code manager}; the caller may modify it
     *     (it never aliases a file or another view's arrays)
     * @throws org.peft4j.core.PeftException if the key is absent (the message names it)
     */
    NDArray load(String name, NDManager manager);

    /** Releases files or mappings the view holds; views over other views close nothing. */
    @Override
    default void close() {}
}

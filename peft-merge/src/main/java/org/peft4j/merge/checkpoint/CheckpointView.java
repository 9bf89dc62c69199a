package org.peft4j.merge.checkpoint;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
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

    /**
     * Loads a floating tensor into existing CPU memory, for example one row of a stack {@code [T,
     * ...]}, so a merge needs no separate copy per input. The default loads the tensor and copies its
     * bytes; {@link SafetensorsCheckpoint} reads float32 data from the file straight into {@code
     * target}.
     *
     * @param name checkpoint key of a floating tensor
     * @param target contiguous float32 CPU array of the tensor's shape (a view is fine), overwritten
     * @throws IllegalArgumentException if {@code target} is not float32 on the CPU or has another shape
     */
    default void loadInto(String name, NDArray target) {
        TensorSpec spec = spec(name);
        if (target.getDataType() != DataType.FLOAT32
                || !target.getDevice().equals(Device.cpu())
                || !target.getShape().equals(spec.shape())) {
            throw new IllegalArgumentException(
                    "loadInto needs a float32 CPU array of shape " + spec.shape() + " for '" + name + "', got "
                            + target.getDataType() + " " + target.getShape() + " on " + target.getDevice());
        }
        try (NDArray loaded = load(name, target.getManager())) {
            target.toByteBuffer(true).put(loaded.toByteBuffer(true));
        }
    }

    /** Releases files or mappings the view holds; views over other views close nothing. */
    @Override
    default void close() {}
}

package org.peft4j.merge.checkpoint;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Name, shape and dtype of one tensor of a checkpoint, known without loading it.
 *
 * @param name checkpoint key (Hugging Face dotted name)
 * @param shape tensor shape
 * @param dataType dtype of the tensor {@link CheckpointView#load} returns (float32 for every
 *     floating tensor of a stored checkpoint)
 */
public record TensorSpec(String name, Shape shape, DataType dataType) {

    /** Validates. */
    public TensorSpec {
        if (name == null || shape == null || dataType == null) {
            throw new IllegalArgumentException("name, shape and dataType must not be null");
        }
    }

    /**
     * @return whether the tensor holds floating-point values (the only ones merge methods touch)
     */
    public boolean isFloating() {
        return dataType.isFloating();
    }

    /**
     * @return number of bytes the tensor occupies in {@link #dataType()}
     */
    public long byteSize() {
        return shape.size() * dataType.getNumOfBytes();
    }
}

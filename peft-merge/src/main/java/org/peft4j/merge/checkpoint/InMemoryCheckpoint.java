package org.peft4j.merge.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint held as arrays in memory (small models, tests, results of a training run). The arrays
 * stay owned by the caller; {@link #load} returns a float32 copy (floating) or a copy (integer) in
 * the requested manager.
 */
public final class InMemoryCheckpoint implements CheckpointView {

    private final Map<String, NDArray> tensors;
    private final List<String> names;

    private InMemoryCheckpoint(Map<String, NDArray> tensors) {
        this.tensors = tensors;
        this.names = Collections.unmodifiableList(new ArrayList<>(tensors.keySet()));
    }

    /**
     * Wraps arrays by key; iteration order of the map becomes {@link #names()}.
     *
     * @param tensors key to array
     * @return the view
     */
    public static InMemoryCheckpoint of(Map<String, NDArray> tensors) {
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                throw new IllegalArgumentException("tensors must not hold null keys or arrays");
            }
        }
        return new InMemoryCheckpoint(new LinkedHashMap<>(tensors));
    }

    /** {@inheritDoc} */
    @Override
    public List<String> names() {
        return names;
    }

    /** {@inheritDoc} */
    @Override
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** {@inheritDoc} */
    @Override
    public TensorSpec spec(String name) {
        NDArray a = get(name);
        DataType type = a.getDataType().isFloating() ? DataType.FLOAT32 : a.getDataType();
        return new TensorSpec(name, a.getShape(), type);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray load(String name, NDManager manager) {
        NDArray a = get(name);
        NDArray copy =
                a.getDataType().isFloating() && a.getDataType() != DataType.FLOAT32
                        ? a.toType(DataType.FLOAT32, true)
                        : a.duplicate();
        copy.attach(manager);
        if (!copy.getDevice().equals(manager.getDevice())) {
            NDArray moved = copy.toDevice(manager.getDevice(), true);
            copy.close();
            return moved;
        }
        return copy;
    }

    private NDArray get(String name) {
        NDArray a = tensors.get(name);
        if (a == null) {
            throw new MissingTensorException(name, "the in-memory checkpoint");
        }
        return a;
    }
}

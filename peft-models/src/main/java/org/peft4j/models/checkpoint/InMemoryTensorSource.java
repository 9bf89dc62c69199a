package org.peft4j.models.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.peft4j.core.nn.DenseWeights;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Arrays held in memory, loaded as float32 copies. */
final class InMemoryTensorSource implements TensorSource {

    private final Map<String, NDArray> tensors;
    private final String description;

    InMemoryTensorSource(Map<String, NDArray> tensors, String description) {
        this.tensors = new LinkedHashMap<>(tensors);
        this.description = description;
    }

    @Override
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    @Override
    public Shape shape(String name) {
        return get(name).getShape();
    }

    @Override
    public NDArray load(String name, NDManager manager) {
        NDArray copy = DenseWeights.copy(get(name), manager);
        if (!copy.getDevice().equals(manager.getDevice())) {
            NDArray moved = copy.toDevice(manager.getDevice(), true);
            moved.attach(manager);
            copy.close();
            return moved;
        }
        return copy;
    }

    @Override
    public String description() {
        return description;
    }

    private NDArray get(String name) {
        NDArray a = tensors.get(name);
        if (a == null) {
            throw new IllegalArgumentException("no tensor '" + name + "' in " + description);
        }
        return a;
    }
}

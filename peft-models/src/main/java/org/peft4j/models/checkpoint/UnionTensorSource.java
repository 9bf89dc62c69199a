package org.peft4j.models.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Several sources with disjoint names seen as one. */
final class UnionTensorSource implements TensorSource {

    private final List<TensorSource> parts;
    private final Map<String, TensorSource> owner = new LinkedHashMap<>();

    UnionTensorSource(List<TensorSource> parts) {
        this.parts = List.copyOf(parts);
        List<String> duplicates = new ArrayList<>();
        for (TensorSource part : parts) {
            for (String name : part.names()) {
                TensorSource previous = owner.putIfAbsent(name, part);
                if (previous != null) {
                    duplicates.add(name + " (in " + previous.description() + " and " + part.description() + ")");
                }
            }
        }
        if (!duplicates.isEmpty()) {
            throw new CheckpointException("tensor names found in more than one source: " + duplicates);
        }
    }

    @Override
    public List<String> names() {
        return List.copyOf(owner.keySet());
    }

    @Override
    public Shape shape(String name) {
        return part(name).shape(name);
    }

    @Override
    public NDArray load(String name, NDManager manager) {
        return part(name).load(name, manager);
    }

    @Override
    public String description() {
        return parts.stream().map(TensorSource::description).collect(Collectors.joining(" + "));
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (TensorSource part : parts) {
            try {
                part.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private TensorSource part(String name) {
        TensorSource p = owner.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no tensor '" + name + "' in " + description());
        }
        return p;
    }
}

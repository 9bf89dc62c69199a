package org.peft4j.models.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/** A view of another source under new names. */
final class RenamedTensorSource implements TensorSource {

    private final TensorSource inner;
    private final Map<String, String> toInner = new LinkedHashMap<>();
    private final String description;

    RenamedTensorSource(TensorSource inner, UnaryOperator<String> rename, String how) {
        this.inner = inner;
        this.description = inner.description() + " " + how;
        List<String> clashes = new ArrayList<>();
        for (String name : inner.names()) {
            String renamed = rename.apply(name);
            String previous = toInner.putIfAbsent(renamed, name);
            if (previous != null) {
                clashes.add(previous + " and " + name + " -> " + renamed);
            }
        }
        if (!clashes.isEmpty()) {
            throw new CheckpointException("renaming " + description + " maps several tensors to one name: " + clashes);
        }
    }

    @Override
    public List<String> names() {
        return List.copyOf(toInner.keySet());
    }

    @Override
    public Shape shape(String name) {
        return inner.shape(innerName(name));
    }

    @Override
    public NDArray load(String name, NDManager manager) {
        return inner.load(innerName(name), manager);
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public void close() {
        inner.close();
    }

    private String innerName(String name) {
        String n = toInner.get(name);
        if (n == null) {
            throw new IllegalArgumentException("no tensor '" + name + "' in " + description);
        }
        return n;
    }
}

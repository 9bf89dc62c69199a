package org.peft4j.models.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;

import org.peft4j.core.io.SlowWorkProgress;
import org.peft4j.core.nn.BlockPaths;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Fills a model's parameters from a {@link TensorSource} by Hugging Face key: parameter {@code
 * <block path>.<name>} ({@link BlockPaths#parameters(Block)}) takes the tensor of the same name.
 *
 * <p>Everything is checked before any data is read: a model parameter the checkpoint lacks, a
 * checkpoint tensor the model does not have, or a shape that differs makes the load fail with one
 * {@link CheckpointException} listing all of them. Tensors are then read one at a time as float32,
 * so peak memory is the model plus one tensor. A parameter without an array takes the loaded array
 * itself; a parameter that already has one is overwritten in place. Parameters allowed to be missing
 * are initialised with their own initializers (HF's initial values for our models).
 */
public final class CheckpointLoader {

    private CheckpointLoader() {}

    /**
     * Loads a checkpoint into a model.
     *
     * @param model the model (for example a {@code BertForSequenceClassification})
     * @param source the tensors, named by HF keys
     * @param manager the owner of the parameter arrays (long-lived: the model's manager)
     * @param options what may be missing or ignored
     * @return what was loaded, initialised and ignored
     * @throws CheckpointException listing every missing, unexpected and mis-shaped key
     */
    public static LoadReport load(Block model, TensorSource source, NDManager manager, LoadOptions options) {
        Map<String, Parameter> parameters = BlockPaths.parameters(model);
        List<String> heads = model instanceof HeadParameters ? ((HeadParameters) model).headParameterPatterns() : List.of();
        List<String> available = source.names();

        List<String> missing = new ArrayList<>();
        List<String> allowedMissing = new ArrayList<>();
        List<String> misshaped = new ArrayList<>();
        Map<String, Parameter> toLoad = new LinkedHashMap<>();
        Set<String> availableSet = new HashSet<>(available);
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            String key = e.getKey();
            Shape expected = expectedShape(e.getValue());
            if (!availableSet.contains(key)) {
                if (options.missingAllowed(key, heads)) {
                    allowedMissing.add(key);
                } else {
                    missing.add(key + " " + expected);
                }
                continue;
            }
            Shape found = source.shape(key);
            if (expected != null && !expected.equals(found)) {
                misshaped.add(key + ": checkpoint " + found + ", model " + expected);
                continue;
            }
            toLoad.put(key, e.getValue());
        }
        List<String> unexpected = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        for (String name : available) {
            if (!parameters.containsKey(name)) {
                if (options.unexpectedIgnored(name)) {
                    ignored.add(name);
                } else {
                    unexpected.add(name + " " + source.shape(name));
                }
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || !misshaped.isEmpty()) {
            throw mismatch(model, source, missing, unexpected, misshaped);
        }

        SlowWorkProgress progress = SlowWorkProgress.console("loading", "tensors", toLoad.size());
        int done = 0;
        for (Map.Entry<String, Parameter> e : toLoad.entrySet()) {
            NDArray loaded = source.load(e.getKey(), manager);
            assign(e.getValue(), loaded, manager);
            progress.done(++done);
        }
        for (String key : allowedMissing) {
            parameters.get(key).initialize(manager, DataType.FLOAT32);
        }
        return new LoadReport(source.description(), new ArrayList<>(toLoad.keySet()), allowedMissing, ignored);
    }

    private static Shape expectedShape(Parameter p) {
        return p.isInitialized() ? p.getArray().getShape() : p.getShape();
    }

    private static void assign(Parameter parameter, NDArray loaded, NDManager manager) {
        if (parameter.isInitialized()) {
            try {
                overwrite(parameter.getArray(), loaded);
            } finally {
                loaded.close();
            }
            return;
        }
        // Parameter.setArray refuses a parameter that was given a shape, so hand the loaded array over
        // through a one-off initializer; the parameter's own initializer is put back afterwards.
        Initializer own = parameter.getInitializer();
        parameter.setInitializer((m, shape, dataType) -> dataType == loaded.getDataType() ? loaded : convert(loaded, dataType, m));
        try {
            parameter.initialize(manager, DataType.FLOAT32);
        } finally {
            parameter.setInitializer(own);
        }
    }

    /** Copies {@code values} into {@code target} in place (same shape), converting the dtype. */
    static void overwrite(NDArray target, NDArray values) {
        NDArray v = values.getDataType() == target.getDataType() ? values : values.toType(target.getDataType(), false);
        try {
            // an index over the first axis: torch's index_put_ refuses an empty index list
            target.set(new NDIndex(":"), v);
        } finally {
            if (v != values) {
                v.close();
            }
        }
    }

    private static NDArray convert(NDArray loaded, DataType type, NDManager manager) {
        NDArray c = loaded.toType(type, true);
        c.attach(manager);
        loaded.close();
        return c;
    }

    private static CheckpointException mismatch(
            Block model, TensorSource source, List<String> missing, List<String> unexpected, List<String> misshaped) {
        StringBuilder m = new StringBuilder();
        m.append("checkpoint ")
                .append(source.description())
                .append(" does not fit ")
                .append(model.getClass().getSimpleName())
                .append(": ")
                .append(missing.size())
                .append(" missing, ")
                .append(unexpected.size())
                .append(" unexpected, ")
                .append(misshaped.size())
                .append(" mis-shaped");
        section(m, "missing (in the model, not in the checkpoint)", missing);
        section(m, "unexpected (in the checkpoint, not in the model)", unexpected);
        section(m, "mis-shaped", misshaped);
        if (!missing.isEmpty()) {
            m.append("\n  (LoadOptions.builder().allowMissing(...) or allowMissingHeads() accepts absent parameters)");
        }
        return new CheckpointException(m.toString(), missing, unexpected, misshaped, null);
    }

    private static void section(StringBuilder m, String title, List<String> keys) {
        if (keys.isEmpty()) {
            return;
        }
        m.append("\n  ").append(title).append(':');
        for (String k : keys) {
            m.append("\n    ").append(k);
        }
    }
}

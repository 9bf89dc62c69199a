package org.peft4j.core.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.peft4j.core.PeftException;
import org.peft4j.core.nn.LinearLayer;
import org.peft4j.core.nn.LinearLayers;
import org.peft4j.core.nn.ModuleBlock;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Replaces a frozen linear layer in its parent and holds it as {@code base_layer} together with
 * named adapters. Forward: {@code y = base(x) + Σ delta_a(x)} over the active adapters that are not
 * merged, in order; a {@link BaseDependentAdapter} instead maps the running {@code y} to a new one.
 * With adapters disabled, {@code y = base(x)} (merged adapters are unmerged first, as PEFT does).
 *
 * <p>Merged adapters form a stack: {@link #unmerge()} removes them last-in first-out.
 */
public final class AdapterHost extends ModuleBlock {

    private final String path;
    private final Map<String, Adapter> adapters = new LinkedHashMap<>();
    private final Deque<String> merged = new ArrayDeque<>();
    private List<String> active = List.of();
    private boolean disabled;
    private List<String> sampleAdapters;

    /**
     * Wraps a frozen layer.
     *
     * @param path the layer's path, for messages
     * @param baseLayer the layer
     */
    public AdapterHost(String path, Block baseLayer) {
        this.path = path;
        LinearLayers.of(baseLayer, path); // fails early, naming the path, for a block that is not linear
        registerModule("base_layer", baseLayer);
    }

    /**
     * Returns the layer's path.
     *
     * @return the dotted path
     */
    public String path() {
        return path;
    }

    /**
     * Returns the frozen layer. The view is taken of the current {@code base_layer}, so a base layer
     * replaced in place (quantized or dequantized after wrapping) is the one merges write to.
     *
     * @return the linear view of {@code base_layer}
     */
    public LinearLayer base() {
        return LinearLayers.of(module("base_layer"), path);
    }

    /**
     * Returns the frozen block.
     *
     * @return {@code base_layer}
     */
    public Block baseBlock() {
        return module("base_layer");
    }

    /**
     * Adds an adapter (inactive until {@link #setActive} names it).
     *
     * @param name the adapter name
     * @param adapter the adapter
     */
    public void addAdapter(String name, Adapter adapter) {
        if (adapters.containsKey(name)) {
            throw new PeftException("Adapter with name '" + name + "' already exists at " + path);
        }
        adapters.put(name, adapter);
        registerModule(name, adapter);
    }

    /**
     * Removes an adapter and closes its parameters.
     *
     * @param name the adapter name
     */
    public void removeAdapter(String name) {
        if (merged.contains(name)) {
            throw new PeftException("Cannot delete adapter " + name + " at " + path + " while it is merged. Please unmerge it first.");
        }
        Adapter a = adapters.remove(name);
        if (a == null) {
            return;
        }
        unregisterModule(name);
        List<String> act = new ArrayList<>(active);
        act.remove(name);
        active = List.copyOf(act);
        for (Parameter p : a.getParameters().values()) {
            p.close();
        }
    }

    /**
     * Returns the adapters by name.
     *
     * @return an unmodifiable view
     */
    public Map<String, Adapter> adapters() {
        return Collections.unmodifiableMap(adapters);
    }

    /**
     * Returns the adapter named {@code name}, or null.
     *
     * @param name the name
     * @return the adapter or null
     */
    public Adapter adapter(String name) {
        return adapters.get(name);
    }

    /**
     * Sets the active adapters (names this layer lacks are ignored).
     *
     * @param names the active adapter names
     */
    public void setActive(List<String> names) {
        List<String> act = new ArrayList<>();
        for (String n : names) {
            if (adapters.containsKey(n)) {
                act.add(n);
            }
        }
        active = List.copyOf(act);
    }

    /**
     * Returns the active adapters present on this layer.
     *
     * @return names
     */
    public List<String> active() {
        return active;
    }

    /**
     * Sets the adapter of every sample of the next forward passes (PEFT's {@code adapter_names}:
     * {@code "__base__"} for none), or null to go back to the active adapters. Used by {@code
     * PeftModel.mixedAdapterBatch}, which checks the names.
     *
     * @param names one name per sample along the input's first axis, or null
     */
    public void setSampleAdapters(List<String> names) {
        sampleAdapters = names == null ? null : List.copyOf(names);
    }

    /**
     * Disables or enables all adapters; disabling unmerges merged adapters.
     *
     * @param disable whether to disable
     */
    public void setDisabled(boolean disable) {
        if (disable && !merged.isEmpty()) {
            unmerge();
        }
        this.disabled = disable;
    }

    /**
     * Returns whether adapters are disabled.
     *
     * @return disabled
     */
    public boolean disabled() {
        return disabled;
    }

    /**
     * Returns the merged adapters, most recent first.
     *
     * @return names
     */
    public List<String> merged() {
        return List.copyOf(merged);
    }

    /**
     * Merges adapters into the frozen weight: {@code W += ΔW} (and {@code b += Δb}).
     *
     * @param names the adapters to merge, in order
     * @param safe when true, the merged weight is formed in a copy and checked for NaN/Inf before it
     *     replaces the weight; a broken adapter then leaves the weight untouched
     */
    public void merge(List<String> names, boolean safe) {
        for (String name : names) {
            Adapter a = adapters.get(name);
            if (a == null || merged.contains(name)) {
                continue;
            }
            LinearLayer base = base();
            try (NDManager scratch = scratchManager(a)) {
                NDArray deltaBias = a.deltaBias(scratch);
                if (deltaBias != null && base.bias() == null) {
                    throw new PeftException("Impossible to merge adapter " + name + " with a bias update at " + path + " because the base layer has no bias.");
                }
                if (!safe && !(a instanceof BaseDependentAdapter)) {
                    base.addToWeight(a.deltaWeight(scratch));
                } else {
                    // formed in a copy: a safe merge checks it before the weight changes
                    NDArray w = a instanceof BaseDependentAdapter dependent
                            ? dependent.mergedWeight(base.weightCopy(scratch), scratch)
                            : base.weightCopy(scratch).addi(a.deltaWeight(scratch).toType(ai.djl.ndarray.types.DataType.FLOAT32, false));
                    if (safe && (!allFinite(w) || (deltaBias != null && !allFinite(deltaBias)))) {
                        throw new PeftException("NaNs detected in the merged weights. The adapter " + name + " seems to be broken (layer " + path + ")");
                    }
                    base.setWeight(w);
                }
                if (deltaBias != null) {
                    base.bias().getArray().addi(deltaBias.toType(base.bias().getArray().getDataType(), false));
                }
            }
            merged.push(name);
        }
    }

    /** Unmerges every merged adapter, last merged first: {@code W -= ΔW}. */
    public void unmerge() {
        while (!merged.isEmpty()) {
            String name = merged.pop();
            Adapter a = adapters.get(name);
            LinearLayer base = base();
            try (NDManager scratch = scratchManager(a)) {
                if (a instanceof BaseDependentAdapter dependent) {
                    base.setWeight(dependent.unmergedWeight(base.weightCopy(scratch), scratch));
                    continue;
                }
                base.addToWeight(a.deltaWeight(scratch).neg());
                NDArray deltaBias = a.deltaBias(scratch);
                if (deltaBias != null) {
                    base.bias().getArray().subi(deltaBias.toType(base.bias().getArray().getDataType(), false));
                }
            }
        }
    }

    private static boolean allFinite(NDArray a) {
        return !(a.isNaN().any().getBoolean() || a.isInfinite().any().getBoolean());
    }

    private static NDManager scratchManager(Adapter a) {
        for (Parameter p : a.getParameters().values()) {
            if (p.isInitialized()) {
                return p.getArray().getManager().newSubManager();
            }
        }
        return NDManager.newBaseManager();
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        Block baseBlock = module("base_layer");
        NDArray y = baseBlock.forward(ps, inputs, training, params).singletonOrThrow();
        if (disabled) {
            return new NDList(y);
        }
        NDArray x = inputs.singletonOrThrow();
        if (sampleAdapters != null) {
            NDArray base = y;
            // per group: the frozen output of its rows plus its own adapter's update (none for "__base__")
            return new NDList(SampleGroups.of(sampleAdapters, x, training, path).apply(x.getManager(), (name, idx) -> {
                NDArray rows = SampleGroups.rows(base, idx);
                Adapter a = adapters.get(name);
                if (a == null) {
                    return rows; // "__base__", or an adapter that does not adapt this layer
                }
                if (a instanceof BaseDependentAdapter) {
                    throw new PeftException("Cannot pass `adapter_names` when DoRA is enabled (adapter " + name + " at " + path + ")");
                }
                NDArray d = a.forward(ps, new NDList(SampleGroups.rows(x, idx)), false, params).singletonOrThrow();
                return rows.add(d.getDataType() == rows.getDataType() ? d : d.toType(rows.getDataType(), false));
            }));
        }
        for (String name : active) {
            if (merged.contains(name)) {
                continue;
            }
            Adapter adapter = adapters.get(name);
            if (adapter instanceof BaseDependentAdapter dependent) {
                y = dependent.apply(base(), ps, x, y, training, params);
                continue;
            }
            NDArray delta = adapter.forward(ps, new NDList(x), training, params).singletonOrThrow();
            NDArray d = delta.getDataType() == y.getDataType() ? delta : delta.toType(y.getDataType(), false);
            // Outside autograd (inference) the base layer's output is a fresh array nobody else keeps, so the
            // delta goes into it in place: one output-sized allocation (fresh pages) and pass less per adapter.
            // Where either side takes part in a graph, out of place, so that autograd sees plain operations.
            y = y == x || y.hasGradient() || d.hasGradient() ? y.add(d) : y.addi(d);
        }
        return new NDList(y);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return module("base_layer").getOutputShapes(inputShapes);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "AdapterHost(" + path + ", base=" + module("base_layer").getClass().getSimpleName()
                + ", adapters=" + adapters.keySet() + ", active=" + active + ", merged=" + merged + ")";
    }

}

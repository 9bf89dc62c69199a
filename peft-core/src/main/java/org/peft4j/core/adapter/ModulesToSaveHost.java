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
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.core.nn.Copyable;
import org.peft4j.core.nn.ModuleBlock;

import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * PEFT's {@code modules_to_save}: a whole module (such as a classification head) is kept frozen as
 * {@code original_module} and each adapter gets a trainable deep copy under {@code
 * modules_to_save.<adapter>}. The first active adapter that has a copy decides the forward pass;
 * with adapters disabled or none active, the original runs.
 */
public final class ModulesToSaveHost extends ModuleBlock {

    private final String path;
    private final Copies copies = new Copies();
    private List<String> active = List.of();
    private boolean disabled;
    private List<String> sampleAdapters;

    /** The container of per-adapter copies ({@code modules_to_save}). */
    static final class Copies extends ModuleBlock {
        void add(String name, Block block) {
            registerModule(name, block);
        }

        Block remove(String name) {
            return unregisterModule(name);
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> params) {
            throw new IllegalStateException("modules_to_save container is not callable");
        }
    }

    /**
     * Wraps a module.
     *
     * @param path its path, for messages
     * @param original the module; it must implement {@link Copyable}
     */
    public ModulesToSaveHost(String path, Block original) {
        this.path = path;
        if (!(original instanceof Copyable)) {
            throw new PeftException("modules_to_save: '" + path + "' is a " + original.getClass().getName()
                    + ", which cannot be copied; supported: blocks implementing " + Copyable.class.getName() + " (e.g. DenseLinear)");
        }
        registerModule("original_module", original);
        registerModule("modules_to_save", copies);
    }

    /**
     * Returns the module's path.
     *
     * @return the path
     */
    public String path() {
        return path;
    }

    /**
     * Returns the frozen original.
     *
     * @return {@code original_module}
     */
    public Block original() {
        return module("original_module");
    }

    /**
     * Adds a trainable copy of the original for {@code adapter}.
     *
     * @param adapter the adapter name
     * @param manager the owner of the copy's arrays
     */
    public void addCopy(String adapter, NDManager manager) {
        if (copies.modules().containsKey(adapter)) {
            throw new PeftException("Adapter with name '" + adapter + "' already exists at " + path);
        }
        copies.add(adapter, ((Copyable) original()).copy(manager));
    }

    /**
     * Removes the copy of {@code adapter} and closes its arrays.
     *
     * @param adapter the adapter name
     */
    public void removeCopy(String adapter) {
        if (copies.modules().containsKey(adapter)) {
            Block b = copies.remove(adapter);
            b.getParameters().values().forEach(Parameter::close);
        }
    }

    /**
     * Returns the copies by adapter name.
     *
     * @return an unmodifiable view
     */
    public Map<String, Block> copies() {
        return Collections.unmodifiableMap(copies.modules());
    }

    /**
     * Returns the parameters of the copy for {@code adapter}, keyed relative to the module path
     * ({@code weight}, {@code bias}, or deeper paths), or an empty map.
     *
     * @param adapter the adapter name
     * @return parameters
     */
    public Map<String, Parameter> copyParameters(String adapter) {
        Block b = copies.modules().get(adapter);
        return b == null ? Map.of() : BlockPaths.parameters(b);
    }

    /**
     * Sets the active adapters.
     *
     * @param names the active names
     */
    public void setActive(List<String> names) {
        active = List.copyOf(names);
    }

    /**
     * Sets the adapter of every sample of the next forward passes ({@code "__base__"}: the original),
     * or null to go back to the active adapters.
     *
     * @param names one name per sample along the input's first axis, or null
     */
    public void setSampleAdapters(List<String> names) {
        sampleAdapters = names == null ? null : List.copyOf(names);
    }

    /**
     * Disables or enables the copies.
     *
     * @param disable whether to run the original
     */
    public void setDisabled(boolean disable) {
        this.disabled = disable;
    }

    /**
     * Returns the block that runs now.
     *
     * @return the active copy or the original
     */
    public Block current() {
        if (!disabled) {
            for (String a : active) {
                Block b = copies.modules().get(a);
                if (b != null) {
                    return b;
                }
            }
        }
        return original();
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        if (sampleAdapters == null || disabled) {
            return current().forward(ps, inputs, training, params);
        }
        NDArray x = inputs.head();
        // each group of samples runs through its adapter's copy (the original for "__base__", or for an
        // adapter that saved no copy of this module)
        return new NDList(SampleGroups.of(sampleAdapters, x, training, path).apply(x.getManager(), (name, idx) -> {
            Block b = copies.modules().getOrDefault(name, original());
            NDList in = new NDList();
            for (NDArray a : inputs) {
                in.add(SampleGroups.rows(a, idx));
            }
            return b.forward(ps, in, false, params).singletonOrThrow();
        }));
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return original().getOutputShapes(inputShapes);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "ModulesToSaveHost(" + path + ", copies=" + copies.modules().keySet() + ")";
    }
}

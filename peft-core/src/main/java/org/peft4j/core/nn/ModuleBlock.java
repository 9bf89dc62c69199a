package org.peft4j.core.nn;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;

import org.peft4j.core.PeftException;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A DJL block built the way a PyTorch {@code nn.Module} is: children are registered under their
 * Hugging Face names ({@code "query"}, {@code "layer"}, {@code "0"}), parameters have their HF names
 * ({@code "weight"}, {@code "bias"}) and eager shapes, and any child can be replaced by name. This
 * is what lets peft-core swap a frozen linear layer for an adapter host: forward code must look its
 * children up through {@link #module(String)} (never through a private field), so a replacement is
 * what runs.
 *
 * <p>Initialisation is eager: every parameter is created with its shape, so {@link
 * #initialize(NDManager, DataType, Shape...)} only fills parameters that have no array yet and never
 * overwrites loaded weights. Input shapes are not needed.
 */
public abstract class ModuleBlock extends AbstractBlock {

    private final Map<String, Block> modules = new LinkedHashMap<>();

    /** Creates an empty module. */
    protected ModuleBlock() {
        super((byte) 1);
    }

    /**
     * Registers a child under its HF name.
     *
     * @param name the child's name, one path segment (no dots)
     * @param block the child
     * @param <B> the child's type
     * @return {@code block}
     */
    protected final <B extends Block> B registerModule(String name, B block) {
        checkSegment(name);
        if (modules.containsKey(name)) {
            throw new PeftException(
                    getClass().getSimpleName() + " already has a child named '" + name + "'");
        }
        modules.put(name, block);
        addChildBlock(name, block);
        return block;
    }

    /**
     * Registers a parameter; its name ({@link Parameter#getName()}) is its HF name.
     *
     * @param parameter the parameter, with a shape or an array
     * @return {@code parameter}
     */
    protected final Parameter registerParameter(Parameter parameter) {
        checkSegment(parameter.getName());
        return addParameter(parameter);
    }

    /**
     * Returns the child registered under {@code name}, as it is now (after any replacement).
     *
     * @param name the child's HF name
     * @return the child
     * @throws PeftException if there is no such child
     */
    public final Block module(String name) {
        Block block = modules.get(name);
        if (block == null) {
            throw new PeftException(
                    getClass().getSimpleName()
                            + " has no child '"
                            + name
                            + "'; children: "
                            + modules.keySet());
        }
        return block;
    }

    /**
     * Returns the children in registration order, keyed by HF name.
     *
     * @return an unmodifiable view
     */
    public final Map<String, Block> modules() {
        return Collections.unmodifiableMap(modules);
    }

    /**
     * Replaces the child registered under {@code name}; forward passes use the replacement from now
     * on, and so do parameter listing, initialisation and DJL's save/load.
     *
     * @param name the child's HF name
     * @param replacement the new child
     * @return the child that was replaced
     */
    public final Block replaceModule(String name, Block replacement) {
        Block old = module(name);
        int index = -1;
        for (int i = 0; i < children.size(); i++) {
            if (children.valueAt(i) == old) {
                index = i;
                break;
            }
        }
        if (index < 0) {
            throw new IllegalStateException("child '" + name + "' is not in the DJL child list");
        }
        String key = children.keyAt(index);
        children.remove(index);
        children.add(index, key, replacement);
        modules.put(name, replacement);
        return old;
    }

    /**
     * Removes the child registered under {@code name}.
     *
     * @param name the child's HF name
     * @return the removed child
     */
    protected final Block unregisterModule(String name) {
        Block old = module(name);
        for (int i = 0; i < children.size(); i++) {
            if (children.valueAt(i) == old) {
                children.remove(i);
                break;
            }
        }
        modules.remove(name);
        return old;
    }

    /** {@inheritDoc} */
    @Override
    public void initialize(NDManager manager, DataType dataType, Shape... inputShapes) {
        beforeInitialize(inputShapes);
        for (Parameter parameter : getDirectParameters().values()) {
            parameter.initialize(manager, dataType);
        }
        initializeChildBlocks(manager, dataType, inputShapes);
    }

    /**
     * Initialises children: {@link ModuleBlock} children eagerly; any other child (for example
     * a DJL layer with lazy shapes) must already be initialised.
     */
    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... shapes) {
        for (Pair<String, Block> child : children) {
            Block block = child.getValue();
            if (block instanceof ModuleBlock) {
                block.initialize(manager, dataType, shapes);
            } else if (!block.isInitialized()) {
                throw new IllegalStateException(
                        "child "
                                + child.getKey()
                                + " ("
                                + block.getClass().getSimpleName()
                                + ") of "
                                + getClass().getSimpleName()
                                + " needs input shapes; initialise it before adding it");
            }
        }
    }

    /** Initialised means every parameter in the tree has an array; input shapes play no part. */
    @Override
    public boolean isInitialized() {
        for (Parameter param : getParameters().values()) {
            if (!param.isInitialized()) {
                return false;
            }
        }
        return true;
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        throw new UnsupportedOperationException(
                getClass().getSimpleName() + " does not infer output shapes; run a forward pass");
    }

    private static void checkSegment(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new PeftException("invalid module or parameter name '" + name + "': one path segment without dots");
        }
    }
}

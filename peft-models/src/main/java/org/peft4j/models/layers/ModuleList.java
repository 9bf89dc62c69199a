package org.peft4j.models.layers;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.peft4j.core.nn.ModuleBlock;

import java.util.List;

/**
 * An indexed list of blocks, as {@code torch.nn.ModuleList}: child {@code i} is named {@code "i"},
 * so paths read {@code encoder.layer.0.attention}. The owner runs the children itself; a list has
 * no forward pass of its own.
 */
public final class ModuleList extends ModuleBlock {

    private final int size;

    /**
     * Creates a list of the given blocks, named {@code "0"} to {@code "n-1"}.
     *
     * @param blocks the children in order
     */
    public ModuleList(List<? extends Block> blocks) {
        for (int i = 0; i < blocks.size(); i++) {
            registerModule(Integer.toString(i), blocks.get(i));
        }
        this.size = blocks.size();
    }

    /**
     * Returns child {@code index} as it is now (after any replacement).
     *
     * @param index 0-based index
     * @return the child
     */
    public Block get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("index " + index + " out of range 0.." + (size - 1));
        }
        return module(Integer.toString(index));
    }

    /**
     * Returns the number of children.
     *
     * @return the size
     */
    public int size() {
        return size;
    }

    /** A list is not callable: its owner runs each child. */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        throw new UnsupportedOperationException("a ModuleList has no forward pass; its owner runs each child");
    }
}

package org.peft4j.models.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;

import org.peft4j.core.nn.ModuleBlock;

/**
 * A lookup table as {@code torch.nn.Embedding}: parameter {@code weight} {@code [num, dim]}; input
 * integer ids {@code [...]} (int64 or int32), output {@code [..., dim]} in the ids' manager.
 */
public final class Embedding extends ModuleBlock {

    private final long num;
    private final long dim;
    private final Parameter weight;

    /**
     * Creates a table initialised (unless loaded) with N(0, {@code initStd}).
     *
     * @param num number of rows (vocabulary size)
     * @param dim row width
     * @param initStd standard deviation of the initial values
     */
    public Embedding(long num, long dim, float initStd) {
        if (num <= 0 || dim <= 0) {
            throw new IllegalArgumentException("num and dim must be positive, got num=" + num + ", dim=" + dim);
        }
        this.num = num;
        this.dim = dim;
        weight =
                registerParameter(
                        Parameter.builder()
                                .setName("weight")
                                .setType(Parameter.Type.WEIGHT)
                                .optShape(new Shape(num, dim))
                                .optInitializer(new NormalInitializer(initStd))
                                .build());
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.singletonOrThrow();
        if (ids.getDataType() != DataType.INT64 && ids.getDataType() != DataType.INT32) {
            throw new IllegalArgumentException("embedding ids must be int64 or int32, got " + ids.getDataType());
        }
        NDArray w = ps.getValue(weight, ids.getDevice(), training);
        return ai.djl.nn.core.Embedding.embedding(ids, w, SparseFormat.DENSE);
    }

    /**
     * Returns the weight parameter, {@code [num, dim]}.
     *
     * @return the table
     */
    public Parameter weight() {
        return weight;
    }

    /**
     * Returns the number of rows.
     *
     * @return {@code num}
     */
    public long numEmbeddings() {
        return num;
    }

    /**
     * Returns the row width.
     *
     * @return {@code dim}
     */
    public long embeddingDim() {
        return dim;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "Embedding(" + num + ", " + dim + ")";
    }
}

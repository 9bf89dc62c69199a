package org.peft4j.models.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;

import org.peft4j.core.nn.ModuleBlock;

/**
 * Root-mean-square normalisation over the last axis (Zhang and Sennrich 2019, as in Hugging Face's
 * {@code LlamaRMSNorm}): {@code y = weight * x / sqrt(mean(x²) + eps)}, computed in float32 and
 * returned in the input's dtype. Parameter {@code weight} {@code [dim]}. Input {@code [..., dim]},
 * output the same shape in the input's manager.
 */
public final class RmsNorm extends ModuleBlock {

    private final long dim;
    private final float eps;
    private final Parameter weight;

    /**
     * Creates a layer with weight 1 (unless loaded).
     *
     * @param dim size of the normalised axis
     * @param eps added to the mean square, e.g. {@code 1e-6} or {@code 1e-5} ({@code rms_norm_eps})
     */
    public RmsNorm(long dim, double eps) {
        if (dim <= 0 || !(eps > 0)) {
            throw new IllegalArgumentException("dim must be positive and eps > 0, got dim=" + dim + ", eps=" + eps);
        }
        this.dim = dim;
        this.eps = (float) eps;
        weight =
                registerParameter(
                        Parameter.builder()
                                .setName("weight")
                                .setType(Parameter.Type.GAMMA)
                                .optShape(new Shape(dim))
                                .optInitializer(Initializer.ONES)
                                .build());
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        DataType type = x.getDataType();
        NDArray x32 = type == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
        NDArray rms = x32.square().mean(new int[] {-1}, true).add(eps).sqrt();
        NDArray y = x32.div(rms);
        if (type != DataType.FLOAT32) {
            y = y.toType(type, false);
        }
        NDArray w = ps.getValue(weight, x.getDevice(), training);
        return new NDList(y.mul(w));
    }

    /**
     * Returns epsilon.
     *
     * @return eps
     */
    public float eps() {
        return eps;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "RmsNorm(" + dim + ", eps=" + eps + ")";
    }
}

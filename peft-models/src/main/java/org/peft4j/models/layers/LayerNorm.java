package org.peft4j.models.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;

import org.peft4j.core.nn.ModuleBlock;

/**
 * Layer normalisation over the last axis as {@code torch.nn.LayerNorm(dim, eps)}: {@code y = (x -
 * mean) / sqrt(var + eps) * weight + bias} with the biased variance. Parameters {@code weight} and
 * {@code bias}, both {@code [dim]} (Hugging Face's names; older checkpoints' {@code gamma}/{@code
 * beta} must be renamed before loading). Input {@code [..., dim]}, output the same shape in the
 * input's manager.
 */
public final class LayerNorm extends ModuleBlock {

    private final long dim;
    private final float eps;
    private final Parameter weight;
    private final Parameter bias;

    /**
     * Creates a layer with weight 1 and bias 0 (unless loaded).
     *
     * @param dim size of the normalised axis
     * @param eps added to the variance, e.g. {@code 1e-12} for BERT
     */
    public LayerNorm(long dim, double eps) {
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
        bias =
                registerParameter(
                        Parameter.builder()
                                .setName("bias")
                                .setType(Parameter.Type.BETA)
                                .optShape(new Shape(dim))
                                .optInitializer(Initializer.ZEROS)
                                .build());
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray w = ps.getValue(weight, x.getDevice(), training);
        NDArray b = ps.getValue(bias, x.getDevice(), training);
        return ai.djl.nn.norm.LayerNorm.layerNorm(x, new Shape(dim), w, b, eps);
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
        return "LayerNorm(" + dim + ", eps=" + eps + ")";
    }
}

package org.peft4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.UniformInitializer;
import ai.djl.util.PairList;

/**
 * A linear layer with eager shapes, {@code y = x·Wᵀ + b}, parameters named {@code weight} ({@code
 * [out, in]}) and {@code bias} ({@code [out]}) as in {@code torch.nn.Linear}. Input {@code [..., in]},
 * output {@code [..., out]}; the output lives in the input's manager, so a forward pass never
 * allocates into the model's manager.
 */
public class DenseLinear extends ModuleBlock implements LinearLayer, Copyable {

    private final long in;
    private final long out;
    private final Parameter weight;
    private final Parameter bias;

    /**
     * Creates a layer; parameters are initialised as {@code torch.nn.Linear} does (uniform in
     * {@code ±1/sqrt(in)}) unless loaded.
     *
     * @param in input features
     * @param out output features
     * @param withBias whether the layer has a bias
     */
    public DenseLinear(long in, long out, boolean withBias) {
        this(in, out, withBias, null, null);
    }

    /**
     * Creates a layer holding the given arrays (not copied: the layer owns them from now on).
     *
     * @param weight {@code [out, in]}, any floating dtype
     * @param bias {@code [out]}, or null for a layer without bias
     * @return the layer
     * @throws IllegalArgumentException if the shapes do not fit
     */
    public static DenseLinear of(NDArray weight, NDArray bias) {
        if (weight == null || weight.getShape().dimension() != 2) {
            throw new IllegalArgumentException("weight must be [out, in], got " + (weight == null ? "null" : weight.getShape()));
        }
        long out = weight.getShape().get(0);
        if (bias != null && !bias.getShape().equals(new Shape(out))) {
            throw new IllegalArgumentException("bias must be [" + out + "] for a weight " + weight.getShape() + ", got " + bias.getShape());
        }
        return new DenseLinear(weight.getShape().get(1), out, bias != null, weight, bias);
    }

    private DenseLinear(long in, long out, boolean withBias, NDArray weightArray, NDArray biasArray) {
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException("in and out must be positive, got in=" + in + ", out=" + out);
        }
        this.in = in;
        this.out = out;
        float bound = (float) (1.0 / Math.sqrt(in));
        weight =
                registerParameter(
                        Parameter.builder()
                                .setName("weight")
                                .setType(Parameter.Type.WEIGHT)
                                .optShape(new Shape(out, in))
                                .optInitializer(new UniformInitializer(bound))
                                .optArray(weightArray)
                                .build());
        bias =
                withBias
                        ? registerParameter(
                                Parameter.builder()
                                        .setName("bias")
                                        .setType(Parameter.Type.BIAS)
                                        .optShape(new Shape(out))
                                        .optInitializer(new UniformInitializer(bound))
                                        .optArray(biasArray)
                                        .build())
                        : null;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray w = ps.getValue(weight, x.getDevice(), training);
        NDArray b = bias == null ? null : ps.getValue(bias, x.getDevice(), training);
        return Linear.linear(x, w, b);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {LinearLayers.outputShape(inputShapes[0], out)};
    }

    /** {@inheritDoc} */
    @Override
    public Block block() {
        return this;
    }

    /** {@inheritDoc} */
    @Override
    public long inFeatures() {
        return in;
    }

    /** {@inheritDoc} */
    @Override
    public long outFeatures() {
        return out;
    }

    /**
     * Returns the weight parameter, {@code [out, in]}.
     *
     * @return the weight
     */
    public Parameter weight() {
        return weight;
    }

    /** {@inheritDoc} */
    @Override
    public Parameter bias() {
        return bias;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray weightCopy(NDManager manager) {
        return DenseWeights.copy(weight.getArray(), manager);
    }

    /** {@inheritDoc} */
    @Override
    public void setWeight(NDArray values) {
        DenseWeights.assign(weight.getArray(), values);
    }

    /** {@inheritDoc} */
    @Override
    public void addToWeight(NDArray delta) {
        DenseWeights.addInPlace(weight.getArray(), delta);
    }

    /** {@inheritDoc} */
    @Override
    public long parameterCount() {
        return out * in + (bias == null ? 0 : out);
    }

    /** {@inheritDoc} */
    @Override
    public long bytesHeld() {
        long bytes = weight.getArray().getShape().size() * weight.getArray().getDataType().getNumOfBytes();
        if (bias != null) {
            bytes += bias.getArray().getShape().size() * bias.getArray().getDataType().getNumOfBytes();
        }
        return bytes;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "DenseLinear(in=" + in + ", out=" + out + ", bias=" + (bias != null) + ")";
    }

    /**
     * Returns a dtype-preserving deep copy with the same values, owned by {@code manager}.
     *
     * @param manager the owner of the copied arrays
     * @return the copy
     */
    @Override
    public DenseLinear copy(NDManager manager) {
        NDArray w = DenseWeights.copyKeepType(weight.getArray(), manager);
        NDArray b = bias == null ? null : DenseWeights.copyKeepType(bias.getArray(), manager);
        return new DenseLinear(in, out, bias != null, w, b);
    }
}

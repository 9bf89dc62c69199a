package org.peft4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;

import org.peft4j.core.PeftException;

/** Finds the {@link LinearLayer} view of a block: our own layers, or DJL's {@link Linear}. */
public final class LinearLayers {

    private LinearLayers() {}

    /**
     * Returns the shape a linear map to {@code out} features gives an input of shape {@code [.., in]}.
     *
     * @param input the input shape, features last
     * @param out the output features
     * @return {@code [.., out]}
     */
    public static Shape outputShape(Shape input, long out) {
        return input.slice(0, input.dimension() - 1).add(out);
    }

    /**
     * Returns true when {@code block} can be viewed as a linear layer.
     *
     * @param block any block
     * @return whether {@link #of(Block, String)} succeeds
     */
    public static boolean isLinear(Block block) {
        return block instanceof LinearLayer || (block instanceof Linear && block.isInitialized());
    }

    /**
     * Returns the linear view of {@code block}.
     *
     * @param block the block
     * @param path its path, for the error message
     * @return the view
     * @throws PeftException if the block is not a supported linear layer
     */
    public static LinearLayer of(Block block, String path) {
        if (block instanceof LinearLayer) {
            return (LinearLayer) block;
        }
        if (block instanceof Linear) {
            if (!block.isInitialized()) {
                throw new PeftException(
                        "layer '" + path + "' (DJL Linear) is not initialised; initialise the model before wrapping it");
            }
            return new DjlLinearView((Linear) block);
        }
        throw new PeftException(
                "layer '"
                        + path
                        + "' is a "
                        + block.getClass().getName()
                        + "; adapters can wrap: "
                        + LinearLayer.class.getName()
                        + " implementations (DenseLinear, quantized linears) and ai.djl.nn.core.Linear");
    }

    /** A view of DJL's lazily-shaped {@link Linear} as a {@link LinearLayer}. */
    private static final class DjlLinearView implements LinearLayer {

        private final Linear linear;
        private final Parameter weight;
        private final Parameter bias;

        DjlLinearView(Linear linear) {
            this.linear = linear;
            this.weight = linear.getDirectParameters().get("weight");
            this.bias = linear.getDirectParameters().contains("bias") ? linear.getDirectParameters().get("bias") : null;
        }

        @Override
        public Block block() {
            return linear;
        }

        @Override
        public long inFeatures() {
            return weight.getArray().getShape().get(1);
        }

        @Override
        public long outFeatures() {
            return weight.getArray().getShape().get(0);
        }

        @Override
        public NDArray weightCopy(NDManager manager) {
            return DenseWeights.copy(weight.getArray(), manager);
        }

        @Override
        public void setWeight(NDArray values) {
            DenseWeights.assign(weight.getArray(), values);
        }

        @Override
        public void addToWeight(NDArray delta) {
            DenseWeights.addInPlace(weight.getArray(), delta);
        }

        @Override
        public Parameter bias() {
            return bias;
        }

        @Override
        public long parameterCount() {
            return weight.getArray().getShape().size() + (bias == null ? 0 : bias.getArray().getShape().size());
        }

        @Override
        public long bytesHeld() {
            long b = weight.getArray().getShape().size() * weight.getArray().getDataType().getNumOfBytes();
            if (bias != null) {
                b += bias.getArray().getShape().size() * bias.getArray().getDataType().getNumOfBytes();
            }
            return b;
        }
    }
}

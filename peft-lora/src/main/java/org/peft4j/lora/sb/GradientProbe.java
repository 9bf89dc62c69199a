package org.peft4j.lora.sb;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.peft4j.core.nn.LinearLayers;
import org.peft4j.lora.ProbeAdapter;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects the gradient of a loss with respect to a frozen layer's weight without the weight ever
 * requiring a gradient. Each forward pass adds a zero tap {@code t} ({@code [..., out]}, requiring a
 * gradient) to the layer's output, so {@code ∂L/∂t = ∂L/∂y}; after the backward pass {@link
 * #collect()} adds {@code (∂L/∂y)ᵀ·x} (summed over every leading axis) to a float32 {@code [out,
 * in]} sum — exactly {@code ∂L/∂W} for {@code y = x·Wᵀ + b}, at the cost of the weight gradient
 * itself. It works for any {@link org.peft4j.core.nn.LinearLayer}, quantized ones included.
 *
 * <p>The taps and the saved inputs live in a manager of the probe's own, opened at the first forward
 * pass and closed by {@link #collect()}: a model may run a layer in a sub-manager that it closes when
 * the layer ends (peft4j's BERT encoder does), and the probe must still read them after the backward
 * pass.
 */
final class GradientProbe extends ProbeAdapter {

    private final NDArray sum;
    private final List<NDArray[]> taps = new ArrayList<>();
    private NDManager pass; // this pass's taps and inputs; null between collect() and the next forward

    GradientProbe(NDManager manager, long out, long in) {
        super(out, in);
        this.sum = manager.zeros(new Shape(out, in), DataType.FLOAT32);
    }

    /**
     * Adds {@code (∂L/∂y)ᵀ·x} of every forward pass since the last call to the sum; call it after
     * the backward pass, while the pass's arrays are still open.
     */
    void collect() {
        for (NDArray[] t : taps) {
            NDArray x = t[0];
            NDArray tap = t[1];
            NDArray g = tap.getGradient(); // in the tap's manager (this pass's)
            NDArray g2 = g.reshape(-1, out).transpose();
            NDArray x2 = (x.getDataType() == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false)).reshape(-1, in);
            sum.addi(g2.matMul(x2));
        }
        taps.clear();
        if (pass != null) {
            pass.close(); // the taps, their gradients, the saved inputs and the products above
            pass = null;
        }
    }

    /**
     * Returns the gradient summed so far.
     *
     * @return {@code [out, in]} float32, owned by the probe's manager
     */
    NDArray gradientSum() {
        return sum;
    }

    /** {@inheritDoc} */
    @Override
    public String peftType() {
        return LoraSbConfig.PEFT_TYPE;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        Shape s = x.getShape();
        if (pass == null) {
            pass = sum.getManager().newSubManager();
        }
        NDArray tap = pass.zeros(LinearLayers.outputShape(s, out), DataType.FLOAT32);
        tap.setRequiresGradient(true);
        NDArray input = x.stopGradient();
        input.attach(pass);
        taps.add(new NDArray[] {input, tap});
        return new NDList(tap);
    }
}

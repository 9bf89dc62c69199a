package org.peft4j.lora.sb;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.peft4j.core.adapter.Adapter;

import java.util.Map;

/**
 * A zero-valued additive weight {@code D} ({@code [out, in]}) on a frozen layer: {@code delta(x) =
 * x·Dᵀ = 0}. Since the layer computes {@code x·(W + D)ᵀ}, the gradient of any loss with respect to
 * {@code D} equals its gradient with respect to {@code W}, without {@code W} ever requiring a
 * gradient; and it works for any {@link org.peft4j.core.nn.LinearLayer}, quantized ones included.
 * Gradients accumulate in {@code D} across backward passes (DJL does not zero them); closing the
 * probe's parameter frees {@code D} and its gradient.
 */
final class GradientProbe extends AbstractBlock implements Adapter {

    private final Parameter probe;

    GradientProbe(NDManager manager, long out, long in) {
        super((byte) 1);
        NDArray zeros = manager.zeros(new Shape(out, in), DataType.FLOAT32);
        probe = addParameter(Parameter.builder().setName("update_probe").setType(Parameter.Type.WEIGHT).optShape(zeros.getShape()).optArray(zeros).build());
        probe.freeze(false);
        inputShapes = new Shape[] {new Shape(-1, in)};
    }

    /** Returns a handle on the accumulated gradient {@code [out, in]}, attached to {@code manager}. */
    NDArray gradientSum(NDManager manager) {
        NDArray g = probe.getArray().getGradient();
        g.attach(manager);
        return g;
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
        NDArray d = ps.getValue(probe, x.getDevice(), training);
        NDArray xd = x.getDataType() == d.getDataType() ? x : x.toType(d.getDataType(), false);
        return new NDList(Linear.linear(xd, d).singletonOrThrow());
    }

    /** {@inheritDoc} */
    @Override
    public NDArray deltaWeight(NDManager manager) {
        return manager.zeros(probe.getArray().getShape(), DataType.FLOAT32);
    }

    /** {@inheritDoc} */
    @Override
    public Map<String, Parameter> stateTensors() {
        return Map.of();
    }

    /** {@inheritDoc} */
    @Override
    public void setTrainable(boolean trainable) {
        probe.freeze(!trainable);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        return new Shape[] {s.slice(0, s.dimension() - 1).add(probe.getShape().get(0))};
    }

    /** {@inheritDoc} */
    @Override
    public boolean isInitialized() {
        return probe.isInitialized();
    }
}

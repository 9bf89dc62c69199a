package org.peft4j.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;

import org.peft4j.core.adapter.Adapter;
import org.peft4j.core.nn.LinearLayers;

import java.util.Map;

/**
 * A temporary adapter that observes one frozen {@code [out, in]} layer during a data pass (LoRA-SB's
 * gradient estimate, EVA's input statistics) and trains, saves and changes nothing: no parameters, a
 * zero weight update. Subclasses say what they record.
 */
public abstract class ProbeAdapter extends AbstractBlock implements Adapter {

    /** The observed layer's output width. */
    protected final long out;
    /** The observed layer's input width. */
    protected final long in;

    /**
     * Creates the probe.
     *
     * @param out the layer's output width
     * @param in the layer's input width
     */
    protected ProbeAdapter(long out, long in) {
        super((byte) 1);
        this.out = out;
        this.in = in;
        inputShapes = new Shape[] {new Shape(-1, in)};
    }

    /** {@inheritDoc} */
    @Override
    public NDArray deltaWeight(NDManager manager) {
        return manager.zeros(new Shape(out, in), DataType.FLOAT32);
    }

    /** {@inheritDoc} */
    @Override
    public Map<String, Parameter> stateTensors() {
        return Map.of();
    }

    /** {@inheritDoc} */
    @Override
    public void setTrainable(boolean trainable) {
        // nothing to train
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {LinearLayers.outputShape(inputShapes[0], out)};
    }

    /** {@inheritDoc} */
    @Override
    public boolean isInitialized() {
        return true;
    }
}

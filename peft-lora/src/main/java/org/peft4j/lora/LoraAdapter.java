package org.peft4j.lora;

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
import org.peft4j.core.nn.AutogradScalars;
import org.peft4j.core.nn.InvertedDropout;
import org.peft4j.core.nn.LinearLayers;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One LoRA adapter on a linear layer: {@code delta(x) = s · B·A·dropout(x) (+ s·b_B)}, with {@code
 * lora_A} {@code [r, in]}, {@code lora_B} {@code [out, r]} (both float32) and scaling {@code s}.
 * Forward keeps the activation on the left ({@code x·Aᵀ}, then {@code ·Bᵀ}), so every intermediate
 * lives in the input's manager.
 */
public final class LoraAdapter extends AbstractBlock implements Adapter {

    private final int r;
    private final float scaling;
    private final float dropout;
    private final Parameter loraA;
    private final Parameter loraB;
    private final Parameter loraBBias;

    /**
     * Creates an adapter from initial arrays (which it takes ownership of).
     *
     * @param a {@code lora_A} values {@code [r, in]}
     * @param b {@code lora_B} values {@code [out, r]}
     * @param bBias {@code lora_B.bias} values {@code [out]}, or null
     * @param scaling {@code s}
     * @param dropout dropout probability applied to the input in training
     */
    public LoraAdapter(NDArray a, NDArray b, NDArray bBias, double scaling, double dropout) {
        super((byte) 1);
        Shape as = a.getShape();
        Shape bs = b.getShape();
        if (as.dimension() != 2 || bs.dimension() != 2 || as.get(0) != bs.get(1)) {
            throw new IllegalArgumentException("lora_A " + as + " and lora_B " + bs + " do not form B·A ([out, r]·[r, in])");
        }
        this.r = (int) as.get(0);
        this.scaling = (float) scaling;
        this.dropout = (float) dropout;
        loraA = addParameter(Parameter.builder().setName("lora_A.weight").setType(Parameter.Type.WEIGHT).optShape(as).optArray(a).build());
        loraB = addParameter(Parameter.builder().setName("lora_B.weight").setType(Parameter.Type.WEIGHT).optShape(bs).optArray(b).build());
        loraBBias = bBias == null ? null
                : addParameter(Parameter.builder().setName("lora_B.bias").setType(Parameter.Type.BIAS).optShape(bBias.getShape()).optArray(bBias).build());
        inputShapes = new Shape[] {new Shape(-1, as.get(1))};
    }

    /**
     * Returns the rank.
     *
     * @return r
     */
    public int rank() {
        return r;
    }

    /**
     * Returns the scaling {@code s}.
     *
     * @return s
     */
    public float scaling() {
        return scaling;
    }

    /**
     * Returns {@code lora_A}, {@code [r, in]}.
     *
     * @return the parameter
     */
    public Parameter loraA() {
        return loraA;
    }

    /**
     * Returns {@code lora_B}, {@code [out, r]}.
     *
     * @return the parameter
     */
    public Parameter loraB() {
        return loraB;
    }

    /** {@inheritDoc} */
    @Override
    public String peftType() {
        return LoraConfig.PEFT_TYPE;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray a = ps.getValue(loraA, x.getDevice(), training);
        NDArray b = ps.getValue(loraB, x.getDevice(), training);
        NDArray xa = x.getDataType() == a.getDataType() ? x : x.toType(a.getDataType(), false);
        if (training && dropout > 0) {
            xa = InvertedDropout.apply(xa, dropout, true);
        }
        NDArray h = Linear.linear(xa, a).singletonOrThrow();
        NDArray bias = loraBBias == null ? null : ps.getValue(loraBBias, x.getDevice(), training);
        if (scaling != 1f) {
            // s·(B·h + b) = B·(s·h) + s·b: scaling the rank-r intermediate costs r/out of scaling the output
            // (AutogradScalars: DJL's mul(Number) operand would be freed before the backward pass reads it)
            h = AutogradScalars.mul(h, scaling);
            if (bias != null) {
                bias = AutogradScalars.mul(bias, scaling);
                bias.attach(h.getManager()); // a product of a parameter lands in the parameter's manager
            }
        }
        return new NDList(Linear.linear(h, b, bias).singletonOrThrow());
    }

    /** {@inheritDoc} */
    @Override
    public NDArray deltaWeight(NDManager manager) {
        NDArray ba = loraB.getArray().matMul(loraA.getArray());
        ba.attach(manager);
        return ba.toType(DataType.FLOAT32, false).muli(scaling);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray deltaBias(NDManager manager) {
        if (loraBBias == null) {
            return null;
        }
        NDArray b = loraBBias.getArray().mul(scaling);
        b.attach(manager);
        return b;
    }

    /** {@inheritDoc} */
    @Override
    public Map<String, Parameter> stateTensors() {
        Map<String, Parameter> m = new LinkedHashMap<>();
        m.put("lora_A.weight", loraA);
        m.put("lora_B.weight", loraB);
        if (loraBBias != null) {
            m.put("lora_B.bias", loraBBias);
        }
        return m;
    }

    /** {@inheritDoc} */
    @Override
    public void setTrainable(boolean trainable) {
        for (Parameter p : getDirectParameters().values()) {
            p.freeze(!trainable);
        }
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {LinearLayers.outputShape(inputShapes[0], loraB.getShape().get(0))};
    }

    /** {@inheritDoc} */
    @Override
    public boolean isInitialized() {
        return loraA.isInitialized() && loraB.isInitialized();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "LoraAdapter(r=" + r + ", scaling=" + scaling + ", dropout=" + dropout + ")";
    }
}

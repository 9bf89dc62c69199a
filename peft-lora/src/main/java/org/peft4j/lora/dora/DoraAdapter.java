package org.peft4j.lora.dora;

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

import org.peft4j.core.adapter.BaseDependentAdapter;
import org.peft4j.core.nn.DenseWeights;
import org.peft4j.core.nn.InvertedDropout;
import org.peft4j.core.nn.LinearLayer;
import org.peft4j.lora.LoraAdapter;
import org.peft4j.lora.LoraConfig;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One DoRA adapter on a linear layer, with PEFT's semantics ({@code peft/tuners/lora/dora.py},
 * {@code variants.py}): LoRA's {@code lora_A} {@code [r, in]} and {@code lora_B} {@code [out, r]}
 * with scaling {@code s}, and a trainable magnitude {@code m} ({@code lora_magnitude_vector}, {@code
 * [out]}, float32). With {@code n = ‖W + s·B·A‖} per output row, computed without gradient (DoRA
 * paper §4.3) and {@code g = m / n}:
 *
 * <pre>
 *   y = result + (g − 1) ⊙ (W·x) + g ⊙ s·B·A·x
 * </pre>
 *
 * where {@code result} is the layer output so far and {@code W·x} is {@code result} less the base
 * bias; in training with dropout, {@code x} is dropped once and {@code W·x} is recomputed from the
 * dropped input, as PEFT does. With one adapter and no dropout this is the layer with weight {@code
 * g ⊙ (W + s·B·A)}, which is what a merge writes; an unmerge divides by the {@code g} of the merge
 * and subtracts {@code s·B·A}. At creation {@code m = n}, so the adapted layer starts equal to the
 * frozen one whatever {@code B·A} is.
 */
public final class DoraAdapter extends AbstractBlock implements BaseDependentAdapter {

    private final LoraAdapter lora;
    private final Parameter magnitude;
    private final float dropout;
    private NDArray mergedNorm;

    /**
     * Creates an adapter from LoRA factors and the frozen layer; the magnitude starts at the row
     * norms of {@code W + s·B·A}.
     *
     * @param a {@code lora_A} values {@code [r, in]} (taken over)
     * @param b {@code lora_B} values {@code [out, r]} (taken over)
     * @param scaling {@code s}
     * @param dropout dropout probability applied to the input in training
     * @param base the frozen layer, whose weight (dequantized if need be) sets the magnitude
     * @param manager the owner of the magnitude's initial values
     * @return the adapter
     */
    public static DoraAdapter create(NDArray a, NDArray b, double scaling, double dropout, LinearLayer base, NDManager manager) {
        LoraAdapter lora = new LoraAdapter(a, b, null, scaling, 0.0);
        if (lora.loraB().getShape().get(0) != base.outFeatures() || lora.loraA().getShape().get(1) != base.inFeatures()) {
            throw new IllegalArgumentException("DoRA: lora_A " + lora.loraA().getShape() + " and lora_B " + lora.loraB().getShape()
                    + " do not fit a layer of [out, in] = [" + base.outFeatures() + ", " + base.inFeatures() + "]");
        }
        NDArray w = base.weightCopy(manager);
        NDArray m = rowNorms(w.addi(lora.deltaWeight(manager)));
        return new DoraAdapter(lora, m, dropout);
    }

    private DoraAdapter(LoraAdapter lora, NDArray magnitude, double dropout) {
        super((byte) 1);
        this.lora = lora;
        // A and B are this block's own parameters (paths <layer>.<adapter>.lora_A.weight, as for LoRA); the
        // LoraAdapter is not a child block, it only computes s·B·A·x with them
        addParameter(lora.loraA());
        addParameter(lora.loraB());
        this.dropout = (float) dropout;
        this.magnitude = addParameter(Parameter.builder().setName("lora_magnitude_vector").setType(Parameter.Type.WEIGHT)
                .optShape(magnitude.getShape()).optArray(magnitude).build());
        inputShapes = new Shape[] {new Shape(-1, lora.loraA().getShape().get(1))};
    }

    /**
     * Returns the low-rank part.
     *
     * @return the LoRA adapter holding {@code lora_A}, {@code lora_B} and the scaling (its own dropout is 0)
     */
    public LoraAdapter lora() {
        return lora;
    }

    /**
     * Returns {@code lora_magnitude_vector}, {@code [out]}.
     *
     * @return the parameter
     */
    public Parameter magnitude() {
        return magnitude;
    }

    /** {@inheritDoc} */
    @Override
    public String peftType() {
        return LoraConfig.PEFT_TYPE;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray apply(LinearLayer base, ParameterStore ps, NDArray x, NDArray result, boolean training, PairList<String, Object> params) {
        NDManager m = x.getManager();
        NDArray xf = x.getDataType() == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
        NDArray w = base.weightCopy(m);
        // g = m / ‖W + s·B·A‖_row, the norm treated as a constant (no gradient reaches A or B through it)
        NDArray norm = rowNorms(w.add(detachedDelta(m)));
        NDArray mag = ps.getValue(magnitude, x.getDevice(), training);
        NDArray g = m.ones(norm.getShape(), DataType.FLOAT32).divi(norm).mul(mag);
        NDArray baseResult;
        if (training && dropout > 0) {
            xf = InvertedDropout.apply(xf, dropout, true);
            baseResult = Linear.linear(xf, w).singletonOrThrow();
        } else {
            NDArray r = result.getDataType() == DataType.FLOAT32 ? result : result.toType(DataType.FLOAT32, false);
            Parameter bias = base.bias();
            baseResult = bias == null ? r : r.sub(bias.getArray().toType(DataType.FLOAT32, false));
        }
        NDArray loraResult = lora.forward(ps, new NDList(xf), training, params).singletonOrThrow();
        NDArray update = baseResult.mul(g.sub(1f)).add(loraResult.mul(g));
        NDArray out = result.getDataType() == DataType.FLOAT32 ? result : result.toType(DataType.FLOAT32, false);
        out = out.add(update);
        return out.getDataType() == result.getDataType() ? out : out.toType(result.getDataType(), false);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray mergedWeight(NDArray weight, NDManager manager) {
        NDArray v = DenseWeights.copy(weight, manager).addi(detachedDelta(manager));
        NDArray norm = rowNorms(v);
        if (mergedNorm != null) {
            mergedNorm.close();
        }
        // the unmerge needs the norm of the merge: it cannot be recomputed from the merged weight
        mergedNorm = norm.duplicate();
        mergedNorm.attach(magnitude.getArray().getManager()); // lives with the adapter until the unmerge
        return v.muli(factor(norm, manager).reshape(-1, 1));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray unmergedWeight(NDArray mergedWeight, NDManager manager) {
        if (mergedNorm == null) {
            throw new IllegalStateException("DoRA: this adapter is not merged, so there is nothing to unmerge");
        }
        NDArray f = factor(mergedNorm, manager);
        NDArray w = DenseWeights.copy(mergedWeight, manager).divi(f.reshape(-1, 1)).subi(detachedDelta(manager));
        mergedNorm.close();
        mergedNorm = null;
        return w;
    }

    /** {@code m / norm}, {@code [out]}, in {@code manager}. */
    private NDArray factor(NDArray norm, NDManager manager) {
        NDArray mag = magnitude.getArray().stopGradient();
        mag.attach(manager);
        NDArray n = norm.toDevice(mag.getDevice(), true);
        n.attach(manager);
        return mag.div(n);
    }

    /** {@code s·B·A}, {@code [out, in]} float32, outside any autograd graph, in {@code manager}. */
    private NDArray detachedDelta(NDManager manager) {
        NDArray a = lora.loraA().getArray().stopGradient();
        NDArray b = lora.loraB().getArray().stopGradient();
        a.attach(manager);
        b.attach(manager);
        return b.matMul(a).toType(DataType.FLOAT32, false).muli(lora.scaling());
    }

    /** The L2 norm of every row of {@code [out, in]}, {@code [out]}, in the array's manager. */
    private static NDArray rowNorms(NDArray w) {
        return w.square().sum(new int[] {1}).sqrt();
    }

    /**
     * Returns {@code s·B·A}, the low-rank part only: the layer's update also rescales {@code W}
     * (see {@link #mergedWeight}).
     *
     * @param manager the owner of the result
     * @return a new {@code [out, in]} float32 array
     */
    @Override
    public NDArray deltaWeight(NDManager manager) {
        return lora.deltaWeight(manager);
    }

    /** {@inheritDoc} */
    @Override
    public Map<String, Parameter> stateTensors() {
        Map<String, Parameter> m = new LinkedHashMap<>(lora.stateTensors());
        // PEFT saves the magnitude without ".weight" (LoraModel._get_adapter_state_dict strips it)
        m.put("lora_magnitude_vector", magnitude);
        return m;
    }

    /** {@inheritDoc} */
    @Override
    public void setTrainable(boolean trainable) {
        lora.setTrainable(trainable);
        magnitude.freeze(!trainable);
    }

    /** The host calls {@link #apply}: DoRA's update depends on the frozen weight, which a plain forward lacks. */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        throw new UnsupportedOperationException("DoRA's output depends on the frozen layer; it runs inside an AdapterHost (BaseDependentAdapter.apply)");
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return lora.getOutputShapes(inputShapes);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "DoraAdapter(r=" + lora.rank() + ", scaling=" + lora.scaling() + ", dropout=" + dropout + ")";
    }
}

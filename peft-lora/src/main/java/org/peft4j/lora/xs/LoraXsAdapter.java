package org.peft4j.lora.xs;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;


import java.util.LinkedHashMap;
import java.util.Map;
import org.peft4j.core.adapter.Adapter;
import org.peft4j.core.nn.AutogradScalars;
import org.peft4j.core.nn.LinearLayers;
import org.peft4j.lora.FilePlaceholders;

/**
 * The adapter of LoRA-XS and LoRA-SB: {@code delta(x) = s · B·R·A·dropout(x)}, with {@code A}
 * ({@code lora_A.weight}, {@code [r, in]}) and {@code B} ({@code lora_B.weight}, {@code [out, r]})
 * frozen and only {@code R} ({@code lora_latent_mapping.weight}, {@code [r, r]}) trainable; all
 * float32. The two methods differ only in how the three matrices start.
 *
 * <p>{@code R} acts like the official code's {@code nn.Linear(r, r, bias=False)} between {@code A}
 * and {@code B}, so {@code ΔW = s·B·R·A}. Forward keeps the activation on the left ({@code x·Aᵀ},
 * {@code ·Rᵀ}, {@code ·Bᵀ}), so every intermediate lives in the input's manager.
 */
public final class LoraXsAdapter extends AbstractBlock implements Adapter {

    /** The saved key of {@code A}. */
    public static final String KEY_A = "lora_A.weight";
    /** The saved key of {@code B}. */
    public static final String KEY_B = "lora_B.weight";
    /** The saved key of {@code R}. */
    public static final String KEY_R = "lora_latent_mapping.weight";

    private final String peftType;
    private final int r;
    private final float scaling;
    private final float dropout;
    private final Parameter loraA;
    private final Parameter loraB;
    private final Parameter latent;
    /** True while the factors are NaN placeholders that an adapter file has yet to fill. */
    private volatile boolean awaitingFile;
    /** The config class the error names while the placeholders are unfilled. */
    private String configClass;

    /**
     * Creates an adapter from initial arrays, which it takes ownership of.
     *
     * @param peftType the method's {@code peft_type} ({@code LORA_XS} or {@code LORA_SB})
     * @param a {@code A}, {@code [r, in]} float32, frozen
     * @param b {@code B}, {@code [out, r]} float32, frozen
     * @param latent {@code R}, {@code [r, r]} float32, trainable
     * @param scaling {@code s}
     * @param dropout dropout probability on the input in training, in [0, 1)
     * @throws IllegalArgumentException if the shapes do not form {@code B·R·A}
     */
    public LoraXsAdapter(String peftType, NDArray a, NDArray b, NDArray latent, double scaling, double dropout) {
        super((byte) 1);
        Shape as = a.getShape();
        Shape bs = b.getShape();
        Shape rs = latent.getShape();
        if (as.dimension() != 2 || bs.dimension() != 2 || rs.dimension() != 2
                || rs.get(0) != rs.get(1) || as.get(0) != rs.get(0) || bs.get(1) != rs.get(0)) {
            throw new IllegalArgumentException("lora_A " + as + ", lora_latent_mapping " + rs + " and lora_B " + bs
                    + " do not form B·R·A ([out, r]·[r, r]·[r, in])");
        }
        this.peftType = peftType;
        this.r = (int) rs.get(0);
        this.scaling = (float) scaling;
        this.dropout = (float) dropout;
        loraA = addParameter(Parameter.builder().setName(KEY_A).setType(Parameter.Type.WEIGHT).optRequiresGrad(false).optShape(as).optArray(a).build());
        loraB = addParameter(Parameter.builder().setName(KEY_B).setType(Parameter.Type.WEIGHT).optRequiresGrad(false).optShape(bs).optArray(b).build());
        this.latent = addParameter(Parameter.builder().setName(KEY_R).setType(Parameter.Type.WEIGHT).optShape(rs).optArray(latent).build());
        loraA.freeze(true);
        loraB.freeze(true);
        inputShapes = new Shape[] {new Shape(-1, as.get(1))};
    }

    /**
     * Creates an adapter whose {@code A}, {@code B} and {@code R} are NaN placeholders for an
     * adapter file to fill (what the adapter loader wraps with, so that it does not decompose the
     * weights): {@code A} {@code [r, in]}, {@code B} {@code [out, r]} and {@code R} {@code [r, r]},
     * float32, every entry NaN. Until they are filled, running the adapter or merging it throws.
     *
     * @param peftType the method's {@code peft_type}
     * @param configClass the simple name of the method's config class ({@code LoraXsConfig} or
     *     {@code LoraSbConfig}), named by the error while the placeholders are unfilled
     * @param r the rank
     * @param in the layer's input size
     * @param out the layer's output size
     * @param scaling {@code s}
     * @param dropout dropout probability on the input in training, in [0, 1)
     * @param manager the owner of the placeholders (its device is used)
     * @return the adapter
     */
    public static LoraXsAdapter awaitingAdapterFile(
            String peftType, String configClass, int r, long in, long out, double scaling, double dropout, NDManager manager) {
        LoraXsAdapter a = new LoraXsAdapter(peftType, manager.full(new Shape(r, in), Float.NaN), manager.full(new Shape(out, r), Float.NaN),
                manager.full(new Shape(r, r), Float.NaN), scaling, dropout);
        a.configClass = configClass;
        a.awaitingFile = true;
        return a;
    }

    /**
     * Throws if the factors are still the placeholders of {@link #awaitingAdapterFile}; checks the
     * values once (one device read), then remembers that they were filled.
     */
    private void requireFilled() {
        if (!awaitingFile) {
            return;
        }
        FilePlaceholders.requireFilled(loraA.getArray(), peftType, KEY_A, configClass);
        awaitingFile = false;
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
     * Returns {@code A}, {@code [r, in]}, frozen.
     *
     * @return the parameter
     */
    public Parameter loraA() {
        return loraA;
    }

    /**
     * Returns {@code B}, {@code [out, r]}, frozen.
     *
     * @return the parameter
     */
    public Parameter loraB() {
        return loraB;
    }

    /**
     * Returns {@code R}, {@code [r, r]}, the only trainable parameter.
     *
     * @return the parameter
     */
    public Parameter latent() {
        return latent;
    }

    /** {@inheritDoc} */
    @Override
    public String peftType() {
        return peftType;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        requireFilled();
        NDArray x = inputs.singletonOrThrow();
        NDArray a = ps.getValue(loraA, x.getDevice(), training);
        NDArray rr = ps.getValue(latent, x.getDevice(), training);
        NDArray b = ps.getValue(loraB, x.getDevice(), training);
        NDArray xa = x.getDataType() == a.getDataType() ? x : x.toType(a.getDataType(), false);
        if (training && dropout > 0) {
            xa = Dropout.dropout(xa, dropout, true).singletonOrThrow();
        }
        NDArray h = Linear.linear(xa, a).singletonOrThrow();
        h = Linear.linear(h, rr).singletonOrThrow();
        NDArray out = Linear.linear(h, b).singletonOrThrow();
        return new NDList(scaling == 1f ? out : AutogradScalars.mul(out, scaling));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray deltaWeight(NDManager manager) {
        requireFilled();
        NDArray br = loraB.getArray().matMul(latent.getArray());
        br.attach(manager);
        NDArray bra = br.matMul(loraA.getArray());
        br.close();
        return bra.toType(DataType.FLOAT32, false).muli(scaling);
    }

    /** {@inheritDoc} */
    @Override
    public Map<String, Parameter> stateTensors() {
        Map<String, Parameter> m = new LinkedHashMap<>();
        m.put(KEY_A, loraA);
        m.put(KEY_B, loraB);
        m.put(KEY_R, latent);
        return m;
    }

    /** {@inheritDoc} */
    @Override
    public void setTrainable(boolean trainable) {
        latent.freeze(!trainable);
        loraA.freeze(true);
        loraB.freeze(true);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {LinearLayers.outputShape(inputShapes[0], loraB.getShape().get(0))};
    }

    /** {@inheritDoc} */
    @Override
    public boolean isInitialized() {
        return loraA.isInitialized() && loraB.isInitialized() && latent.isInitialized();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "LoraXsAdapter(" + peftType + ", r=" + r + ", scaling=" + scaling + ", dropout=" + dropout + ")";
    }
}

package org.peft4j.lora.loldu;

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
import org.peft4j.core.nn.LinearLayers;
import org.peft4j.lora.FilePlaceholders;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One LoLDU adapter. With {@code A = U_r} ({@code loldu_A}, {@code [r, in]}, unit upper
 * trapezoidal), {@code B = P·L_r} ({@code loldu_B}, {@code [out, r]}, the row-permuted unit lower
 * trapezoidal factor), the trainable diagonal {@code z} ({@code loldu_z}, {@code [r]}) and scale
 * {@code σ} ({@code loldu_sigma}, {@code [1]}), and their frozen starting values {@code z0}
 * ({@code loldu_z_init}) and {@code σ0} ({@code loldu_sigma_init}), all float32:
 *
 * <pre>
 * W_eff = W_res + σ·B·diag(z)·A,   W_res = W − σ0·B·diag(z0)·A
 *       = W + B·diag(σ·z − σ0·z0)·A
 * </pre>
 *
 * <p>The layer's weight {@code W} stays as it was and the frozen residual is applied through the
 * adapter: {@code delta(x) = ((x·Aᵀ) ⊙ (σ·z − σ0·z0))·Bᵀ}, which is zero at initialisation. That is
 * the same function as writing {@code W_res} into the layer, but the saved tensors alone reproduce
 * the model on the original base, disabling the adapter gives back the base model, and merging
 * writes exactly {@code W_eff}.
 */
public final class LolduAdapter extends AbstractBlock implements Adapter {

    /** The saved key of {@code A = U_r}. */
    public static final String KEY_A = "loldu_A";
    /** The saved key of {@code B = P·L_r}. */
    public static final String KEY_B = "loldu_B";
    /** The saved key of {@code z}. */
    public static final String KEY_Z = "loldu_z";
    /** The saved key of {@code z0}. */
    public static final String KEY_Z_INIT = "loldu_z_init";
    /** The saved key of {@code σ}. */
    public static final String KEY_SIGMA = "loldu_sigma";
    /** The saved key of {@code σ0}. */
    public static final String KEY_SIGMA_INIT = "loldu_sigma_init";

    private final int r;
    private final boolean trainSigma;
    private final Parameter a;
    private final Parameter b;
    private final Parameter z;
    private final Parameter zInit;
    private final Parameter sigma;
    private final Parameter sigmaInit;
    /** True while the factors are NaN placeholders that an adapter file has yet to fill. */
    private volatile boolean awaitingFile;

    /**
     * Creates an adapter from initial arrays, which it takes ownership of.
     *
     * @param a {@code U_r}, {@code [r, in]} float32
     * @param b {@code P·L_r}, {@code [out, r]} float32
     * @param z0 the starting diagonal {@code [r]} float32; {@code z} starts as a copy
     * @param sigma0 the starting scale {@code σ0}
     * @param trainSigma whether {@code σ} trains beside {@code z}
     * @throws IllegalArgumentException if the shapes do not fit together
     */
    public LolduAdapter(NDArray a, NDArray b, NDArray z0, float sigma0, boolean trainSigma) {
        super((byte) 1);
        Shape as = a.getShape();
        Shape bs = b.getShape();
        Shape zs = z0.getShape();
        if (as.dimension() != 2 || bs.dimension() != 2 || zs.dimension() != 1 || as.get(0) != zs.get(0) || bs.get(1) != zs.get(0)) {
            throw new IllegalArgumentException("loldu_A " + as + ", loldu_z " + zs + " and loldu_B " + bs
                    + " do not form B·diag(z)·A ([out, r]·[r]·[r, in])");
        }
        this.r = (int) zs.get(0);
        this.trainSigma = trainSigma;
        NDManager m = z0.getManager();
        this.a = frozen(KEY_A, a);
        this.b = frozen(KEY_B, b);
        this.z = addParameter(Parameter.builder().setName(KEY_Z).setType(Parameter.Type.WEIGHT).optShape(zs).optArray(z0.duplicate()).build());
        this.zInit = frozen(KEY_Z_INIT, z0);
        NDArray s0 = m.create(new float[] {sigma0});
        this.sigma = addParameter(Parameter.builder().setName(KEY_SIGMA).setType(Parameter.Type.WEIGHT).optShape(s0.getShape()).optArray(s0.duplicate()).build());
        this.sigmaInit = frozen(KEY_SIGMA_INIT, s0);
        sigma.freeze(!trainSigma);
        inputShapes = new Shape[] {new Shape(-1, as.get(1))};
    }

    /**
     * Creates an adapter whose {@code A}, {@code B} and {@code z0} are NaN placeholders for an
     * adapter file to fill (what the adapter loader wraps with, so that it does not decompose the
     * weights): {@code A} {@code [r, in]}, {@code B} {@code [out, r]} and {@code z0} {@code [r]},
     * float32, every entry NaN. Until they are filled, running the adapter or merging it throws.
     *
     * @param r the number of adapted pivots
     * @param in the layer's input size
     * @param out the layer's output size
     * @param sigma0 the starting scale {@code σ0}
     * @param trainSigma whether {@code σ} trains beside {@code z}
     * @param manager the owner of the placeholders (its device is used)
     * @return the adapter
     */
    public static LolduAdapter awaitingAdapterFile(int r, long in, long out, float sigma0, boolean trainSigma, NDManager manager) {
        LolduAdapter a = new LolduAdapter(manager.full(new Shape(r, in), Float.NaN), manager.full(new Shape(out, r), Float.NaN),
                manager.full(new Shape(r), Float.NaN), sigma0, trainSigma);
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
        FilePlaceholders.requireFilled(a.getArray(), LolduConfig.PEFT_TYPE, KEY_A, "LolduConfig");
        awaitingFile = false;
    }

    private Parameter frozen(String name, NDArray array) {
        Parameter p = addParameter(Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).optRequiresGrad(false)
                .optShape(array.getShape()).optArray(array).build());
        p.freeze(true);
        return p;
    }

    /**
     * Returns the number of adapted pivots.
     *
     * @return r
     */
    public int rank() {
        return r;
    }

    /**
     * Returns the trainable diagonal {@code z}, {@code [r]}.
     *
     * @return the parameter
     */
    public Parameter z() {
        return z;
    }

    /**
     * Returns the scale {@code σ}, {@code [1]} (trainable when {@code train_sigma}).
     *
     * @return the parameter
     */
    public Parameter sigma() {
        return sigma;
    }

    /**
     * Returns {@code A = U_r}, {@code [r, in]}, frozen.
     *
     * @return the parameter
     */
    public Parameter upper() {
        return a;
    }

    /**
     * Returns {@code B = P·L_r}, {@code [out, r]}, frozen.
     *
     * @return the parameter
     */
    public Parameter permutedLower() {
        return b;
    }

    /** {@inheritDoc} */
    @Override
    public String peftType() {
        return LolduConfig.PEFT_TYPE;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        requireFilled();
        NDArray x = inputs.singletonOrThrow();
        NDArray av = ps.getValue(a, x.getDevice(), training);
        NDArray xa = x.getDataType() == av.getDataType() ? x : x.toType(av.getDataType(), false);
        NDArray h = Linear.linear(xa, av).singletonOrThrow();
        // activation on the left throughout, so nothing lands in the parameters' manager
        NDArray current = h.mul(ps.getValue(z, x.getDevice(), training)).mul(ps.getValue(sigma, x.getDevice(), training));
        NDArray initial = h.mul(ps.getValue(zInit, x.getDevice(), training)).mul(ps.getValue(sigmaInit, x.getDevice(), training));
        return new NDList(Linear.linear(current.sub(initial), ps.getValue(b, x.getDevice(), training)).singletonOrThrow());
    }

    /** {@inheritDoc} */
    @Override
    public NDArray deltaWeight(NDManager manager) {
        requireFilled();
        NDArray c = z.getArray().mul(sigma.getArray());
        c.attach(manager);
        NDArray c0 = zInit.getArray().mul(sigmaInit.getArray());
        c0.attach(manager);
        NDArray coefficients = c.subi(c0).reshape(1, r);
        NDArray scaledLower = coefficients.mul(b.getArray());
        return scaledLower.matMul(a.getArray()).toType(DataType.FLOAT32, false);
    }

    /** {@inheritDoc} */
    @Override
    public Map<String, Parameter> stateTensors() {
        Map<String, Parameter> m = new LinkedHashMap<>();
        m.put(KEY_A, a);
        m.put(KEY_B, b);
        m.put(KEY_Z, z);
        m.put(KEY_Z_INIT, zInit);
        m.put(KEY_SIGMA, sigma);
        m.put(KEY_SIGMA_INIT, sigmaInit);
        return m;
    }

    /** {@inheritDoc} */
    @Override
    public void setTrainable(boolean trainable) {
        z.freeze(!trainable);
        sigma.freeze(!(trainable && trainSigma));
        a.freeze(true);
        b.freeze(true);
        zInit.freeze(true);
        sigmaInit.freeze(true);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {LinearLayers.outputShape(inputShapes[0], b.getShape().get(0))};
    }

    /** {@inheritDoc} */
    @Override
    public boolean isInitialized() {
        return a.isInitialized() && b.isInitialized() && z.isInitialized() && sigma.isInitialized();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "LolduAdapter(r=" + r + ", trainSigma=" + trainSigma + ")";
    }
}

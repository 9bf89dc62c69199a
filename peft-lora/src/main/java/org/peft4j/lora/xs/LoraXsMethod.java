package org.peft4j.lora.xs;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.peft4j.core.adapter.Adapter;
import org.peft4j.core.adapter.AdapterSite;
import org.peft4j.lora.RankedMethod;
import org.peft4j.lora.linalg.Svd;
import org.peft4j.lora.linalg.SvdResult;

/**
 * The {@code LORA_XS} method (Bałazy et al., "LoRA-XS: Low-Rank Adaptation with Extremely Small
 * Number of Parameters"): per target, the exact top-{@code r} SVD {@code W ≈ U_r Σ_r V_rᵀ} by
 * LAPACK's {@code sgesvdx}; {@code B = U_r}, {@code A = Σ_r V_rᵀ} (the singular values sit on the
 * input-side factor, as in the official code's {@code get_svd_replacement_module}), {@code R ~
 * N(0, r_init_std²)}; {@code W} is not modified. The official code uses an exact SVD in one version
 * and scikit-learn's randomized {@code TruncatedSVD} in another, so factors agree with it up to the
 * signs of singular vector pairs, not bit for bit. Random draws use the engine's generator, seeded
 * with {@code Engine.getInstance().setRandomSeed}. A config parsed for the adapter loader ({@link
 * LoraXsConfig#fromFile()}) gets placeholders that the folder's weights replace, and the weights are
 * not decomposed again.
 */
public final class LoraXsMethod extends RankedMethod<LoraXsConfig> {

    /** Creates the method. */
    public LoraXsMethod() {
        super(LoraXsConfig.PEFT_TYPE, LoraXsConfig.class, LoraXsConfig::fromJson);
    }

    /** {@inheritDoc} */
    @Override
    protected Adapter placeholderAdapter(LoraXsConfig c, long in, long out, NDManager m) {
        return LoraXsAdapter.awaitingAdapterFile(LoraXsConfig.PEFT_TYPE, LoraXsConfig.class.getSimpleName(), c.r(), in, out, c.scaling(), c.loraDropout(), m);
    }

    /** {@inheritDoc} */
    @Override
    protected Adapter initialAdapter(LoraXsConfig c, AdapterSite site, long in, long out) {
        int r = c.r();
        NDManager m = site.manager();
        NDArray a;
        NDArray b;
        try (NDManager scratch = m.newSubManager()) {
            NDArray w = site.base().weightCopy(scratch);
            try (SvdResult svd = Svd.truncated(r).decompose(w, scratch)) {
                b = svd.u().duplicate();
                a = svd.vt().mul(svd.s().reshape(r, 1));
                b.attach(m);
                a.attach(m);
            }
        }
        NDArray latent = m.randomNormal(0f, (float) c.rInitStd(), new Shape(r, r), DataType.FLOAT32);
        return new LoraXsAdapter(LoraXsConfig.PEFT_TYPE, a, b, latent, c.scaling(), c.loraDropout());
    }
}

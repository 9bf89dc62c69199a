package org.peft4j.lora.xs;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.peft4j.core.adapter.Adapter;
import org.peft4j.core.adapter.AdapterSite;
import org.peft4j.core.adapter.PeftMethod;
import org.peft4j.core.config.JsonFields;
import org.peft4j.core.config.PeftConfig;
import org.peft4j.lora.MethodArguments;
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
 * with {@code Engine.getInstance().setRandomSeed}.
 */
public final class LoraXsMethod implements PeftMethod {

    /** {@inheritDoc} */
    @Override
    public String peftType() {
        return LoraXsConfig.PEFT_TYPE;
    }

    /**
     * {@inheritDoc} The adapter loader calls this, so the config is marked {@link
     * LoraXsConfig#fromFile()}: the folder's weights replace the factors, and the weights are not
     * decomposed again.
     */
    @Override
    public PeftConfig parseConfig(JsonFields fields) {
        return LoraXsConfig.fromJson(fields).awaitingAdapterFile();
    }

    /** {@inheritDoc} */
    @Override
    public Adapter createAdapter(PeftConfig config, AdapterSite site) {
        LoraXsConfig c = MethodArguments.config(config, LoraXsConfig.class, LoraXsConfig.PEFT_TYPE);
        int r = c.r();
        long in = site.base().inFeatures();
        long out = site.base().outFeatures();
        MethodArguments.requireRankFits(r, out, in, site.path());
        NDManager m = site.manager();
        if (c.fromFile()) {
            return LoraXsAdapter.awaitingAdapterFile(LoraXsConfig.PEFT_TYPE, LoraXsConfig.class.getSimpleName(), r, in, out, c.scaling(), c.loraDropout(), m);
        }
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

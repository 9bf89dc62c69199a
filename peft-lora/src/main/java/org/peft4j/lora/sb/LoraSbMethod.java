package org.peft4j.lora.sb;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import org.peft4j.core.PeftException;
import org.peft4j.core.adapter.Adapter;
import org.peft4j.core.adapter.AdapterSite;
import org.peft4j.lora.RankedMethod;
import org.peft4j.lora.xs.LoraXsAdapter;

/**
 * The {@code LORA_SB} method: creates {@link LoraXsAdapter}s whose {@code B = U_r}, {@code A =
 * V_rᵀ} (frozen, orthonormal) and {@code R = diag(Σ_r) / s} (trainable) come from the config's
 * {@link UpdateEstimate}, so that the model starts at {@code W0 + trunc_r(ΔW)}. The base weights
 * are not modified. A config parsed for the adapter loader ({@link LoraSbConfig#fromFile()}) gets
 * placeholders that the folder's weights replace, and needs no update estimate.
 */
public final class LoraSbMethod extends RankedMethod<LoraSbConfig> {

    /** Creates the method. */
    public LoraSbMethod() {
        super(LoraSbConfig.PEFT_TYPE, LoraSbConfig.class, LoraSbConfig::fromJson);
    }

    /** {@inheritDoc} */
    @Override
    protected Adapter placeholderAdapter(LoraSbConfig c, long in, long out, NDManager m) {
        return LoraXsAdapter.awaitingAdapterFile(LoraSbConfig.PEFT_TYPE, LoraSbConfig.class.getSimpleName(), c.r(), in, out, c.scaling(), c.loraDropout(), m);
    }

    /** {@inheritDoc} */
    @Override
    protected Adapter initialAdapter(LoraSbConfig c, AdapterSite site, long in, long out) {
        int r = c.r();
        NDManager m = site.manager();
        UpdateEstimate estimate = c.updateEstimate();
        if (estimate == null) {
            throw new PeftException("update_estimate: LoRA-SB initialises from an estimate of the first full fine-tuning update, and this"
                    + " config has none. Estimate it from training data with UpdateEstimator.estimate(model, config, batches, loss) and pass it"
                    + " with config.withUpdateEstimate(estimate), or call UpdateEstimator.wrap(model, config, batches, loss)");
        }
        UpdateEstimate.LayerUpdate u = estimate.layer(site.path());
        if (u == null) {
            throw new PeftException("update_estimate: has no entry for layer " + site.path() + " (it has " + estimate.paths().size()
                    + " layers); estimate with the same target_modules as the adapter");
        }
        if (estimate.rank() != r) {
            throw new PeftException("update_estimate: was computed for r = " + estimate.rank() + " but the config has r = " + r);
        }
        if (u.u().getShape().get(0) != out || u.vt().getShape().get(1) != in) {
            throw new PeftException("update_estimate: the update of " + site.path() + " is [" + u.u().getShape().get(0) + ", "
                    + u.vt().getShape().get(1) + "] but the layer's weight is [" + out + ", " + in + "]");
        }
        Device device = m.getDevice();
        NDArray b = copy(u.u(), m, device);
        NDArray a = copy(u.vt(), m, device);
        NDArray latent;
        try (NDManager scratch = m.newSubManager()) {
            NDArray s = copy(u.s(), scratch, device).div((float) c.scaling());
            // R = diag(Σ_r / s): identity with column j scaled by s_j
            latent = scratch.eye(r).mul(s.reshape(1, r));
            latent.attach(m);
        }
        return new LoraXsAdapter(LoraSbConfig.PEFT_TYPE, a, b, latent, c.scaling(), c.loraDropout());
    }

    /**
     * A copy with its own storage: a same-device, same-dtype {@code toDevice(…, true)} aliases in
     * DJL 0.36's PyTorch engine, and the estimate's arrays may live in host memory that is freed
     * when the estimate is closed.
     */
    private static NDArray copy(NDArray source, NDManager owner, Device device) {
        NDArray c = source.getDevice().equals(device) ? source.duplicate() : source.toDevice(device, true);
        c.attach(owner);
        return c;
    }
}

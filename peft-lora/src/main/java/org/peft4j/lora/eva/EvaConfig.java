package org.peft4j.lora.eva;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import org.peft4j.core.config.JsonFields;

/**
 * PEFT's {@code EvaConfig}, the settings of EVA's data-driven initialisation ({@code
 * init_lora_weights = "eva"}), with PEFT's field names, defaults and checks.
 *
 * @param rho how many principal components each layer may receive, as a multiple of its rank:
 *     {@code round(r·rho)} are computed per layer and the ranks are redistributed within the total
 *     budget {@code Σ r}; {@code >= 1} (1 keeps every layer at its rank)
 * @param tau the cosine similarity between a component and its value one batch earlier above which
 *     it counts as converged, in {@code [0, 1]}
 * @param useLabelMask leave out token positions whose label is {@code labelMaskValue}
 * @param labelMaskValue the label of ignored tokens ({@code -100}, as in transformers)
 * @param whiten divide each component by the square root of its singular value
 * @param adjustScalingFactors keep each layer's scaling when its rank changes: {@code alpha} is
 *     multiplied by {@code new_rank / r}
 */
public record EvaConfig(double rho, double tau, boolean useLabelMask, long labelMaskValue, boolean whiten, boolean adjustScalingFactors) {

    /** Validates, with PEFT's messages. */
    public EvaConfig {
        if (!(rho >= 1.0) || Double.isInfinite(rho)) {
            throw new IllegalArgumentException("eva_config.rho: `rho` must be >= 1.0 (and finite), got " + rho);
        }
        if (!(tau >= 0.0 && tau <= 1.0)) {
            throw new IllegalArgumentException("eva_config.tau: `tau` must be between 0.0 and 1.0, got " + tau);
        }
    }

    /**
     * PEFT's defaults: {@code rho 2.0, tau 0.99, use_label_mask true, label_mask_value -100, whiten
     * false, adjust_scaling_factors true}.
     *
     * @return the defaults
     */
    public static EvaConfig defaults() {
        return new EvaConfig(2.0, 0.99, true, -100, false, true);
    }

    /**
     * Returns a copy with another {@code rho}.
     *
     * @param value the new rho, {@code >= 1}
     * @return the copy
     */
    public EvaConfig withRho(double value) {
        return new EvaConfig(value, tau, useLabelMask, labelMaskValue, whiten, adjustScalingFactors);
    }

    /**
     * Returns a copy with another {@code tau}.
     *
     * @param value the new tau, in {@code [0, 1]}
     * @return the copy
     */
    public EvaConfig withTau(double value) {
        return new EvaConfig(rho, value, useLabelMask, labelMaskValue, whiten, adjustScalingFactors);
    }

    /**
     * Returns a copy with another {@code whiten}.
     *
     * @param value whether to whiten
     * @return the copy
     */
    public EvaConfig withWhiten(boolean value) {
        return new EvaConfig(rho, tau, useLabelMask, labelMaskValue, value, adjustScalingFactors);
    }

    /**
     * Returns a copy with another {@code adjust_scaling_factors}.
     *
     * @param value whether alpha follows the rank
     * @return the copy
     */
    public EvaConfig withAdjustScalingFactors(boolean value) {
        return new EvaConfig(rho, tau, useLabelMask, labelMaskValue, whiten, value);
    }

    /**
     * Returns a copy with other label-mask settings.
     *
     * @param use whether to leave out positions labelled {@code value}
     * @param value the ignored label
     * @return the copy
     */
    public EvaConfig withLabelMask(boolean use, long value) {
        return new EvaConfig(rho, tau, use, value, whiten, adjustScalingFactors);
    }

    /**
     * Writes the {@code eva_config} object as PEFT does.
     *
     * @return the JSON object
     */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.add("rho", JsonFields.number(rho));
        o.add("tau", JsonFields.number(tau));
        o.addProperty("use_label_mask", useLabelMask);
        o.addProperty("label_mask_value", labelMaskValue);
        o.addProperty("whiten", whiten);
        o.addProperty("adjust_scaling_factors", adjustScalingFactors);
        return o;
    }

    /**
     * Reads an {@code eva_config} object; missing fields take PEFT's defaults.
     *
     * @param e the JSON value
     * @return the config
     * @throws IllegalArgumentException if it is not an object, or a field has the wrong type or value
     */
    public static EvaConfig fromJson(JsonElement e) {
        if (!e.isJsonObject()) {
            throw new IllegalArgumentException("eva_config: expected an object or null, got " + e);
        }
        JsonFields f = new JsonFields(e.getAsJsonObject());
        EvaConfig d = defaults();
        EvaConfig c;
        try {
            c = new EvaConfig(f.number("rho", d.rho), f.number("tau", d.tau), f.bool("use_label_mask", d.useLabelMask),
                    f.integer("label_mask_value", (int) d.labelMaskValue), f.bool("whiten", d.whiten),
                    f.bool("adjust_scaling_factors", d.adjustScalingFactors));
        } catch (IllegalArgumentException ex) {
            throw ex.getMessage().startsWith("eva_config") ? ex : new IllegalArgumentException("eva_config." + ex.getMessage(), ex);
        }
        return c; // fields a newer PEFT may add are ignored, as PEFT keeps eva_config as a plain dict when loading
    }
}

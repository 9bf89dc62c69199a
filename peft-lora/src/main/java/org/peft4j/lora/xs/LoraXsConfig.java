package org.peft4j.lora.xs;

import com.google.gson.JsonElement;
import com.google.gson.JsonPrimitive;

import org.peft4j.core.config.JsonFields;
import org.peft4j.lora.RankedConfig;

import java.util.Map;

/**
 * LoRA-XS's config ({@code peft_type} {@value #PEFT_TYPE}): {@code W' = W + s·B·R·A} with the frozen
 * factors of the truncated SVD {@code W ≈ U_r Σ_r V_rᵀ}, {@code B = U_r} ({@code [out, r]}),
 * {@code A = Σ_r V_rᵀ} ({@code [r, in]}), and only {@code R} ({@code [r, r]}) trained. Fields, with
 * PEFT's names where PEFT has one: {@code r} (default 8), {@code lora_alpha} (default {@code r}, so
 * {@code s = lora_alpha / r = 1}), {@code lora_dropout} (0), {@code r_init_std} (1e-5: R starts
 * as {@code N(0, std²)} with this standard deviation, as the official code's
 * {@code normal_(std=0.00001)}), plus the shared target fields.
 *
 * <p>Immutable; build with {@link #builder()} or parse with {@link #fromJson}; either way wrapping a
 * model decomposes its weights, as PEFT's {@code get_peft_model} initialises from a loaded config.
 * Only the config that {@link LoraXsMethod#parseConfig} gives the adapter loader ({@code
 * PeftModel.load}, {@code loadAdapter}) is marked {@link #fromFile()}: its adapters start as NaN
 * placeholders that {@code adapter_model.safetensors} fills, so loading does not decompose the
 * weights again, and an adapter whose placeholders were never filled refuses to run.
 */
public final class LoraXsConfig extends RankedConfig<LoraXsConfig, LoraXsConfig.Builder> {

    /** The {@code peft_type}. */
    public static final String PEFT_TYPE = "LORA_XS";

    private final double loraDropout;
    private final double rInitStd;

    private LoraXsConfig(Builder b, Common common) {
        super(b, common);
        if (!(b.loraDropout >= 0 && b.loraDropout < 1)) {
            throw new IllegalArgumentException("lora_dropout: must be in [0, 1), got " + b.loraDropout);
        }
        if (!(b.rInitStd >= 0) || !Double.isFinite(b.rInitStd)) {
            throw new IllegalArgumentException("r_init_std: must be a finite number >= 0, got " + b.rInitStd);
        }
        this.loraDropout = b.loraDropout;
        this.rInitStd = b.rInitStd;
    }

    /**
     * Returns a builder with the defaults.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** {@inheritDoc} */
    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    /**
     * Returns the scaling {@code s = lora_alpha / r}.
     *
     * @return s
     */
    public double scaling() {
        return loraAlpha() / r();
    }

    /**
     * Returns {@code lora_dropout}.
     *
     * @return the dropout probability applied to the adapter's input in training
     */
    public double loraDropout() {
        return loraDropout;
    }

    /**
     * Returns {@code r_init_std}.
     *
     * @return the standard deviation of R's initial entries
     */
    public double rInitStd() {
        return rInitStd;
    }

    /** {@inheritDoc} */
    @Override
    public Builder toBuilder() {
        Builder b = copyRankedFields(new Builder());
        b.loraDropout = loraDropout;
        b.rInitStd = rInitStd;
        return b;
    }

    /** {@inheritDoc} */
    @Override
    protected void writeOtherFields(Map<String, JsonElement> m) {
        m.put("lora_dropout", new JsonPrimitive(loraDropout));
        m.put("r_init_std", new JsonPrimitive(rInitStd));
    }

    /**
     * Parses adapter_config.json fields (missing fields take the defaults). The config initialises
     * adapters from the weights like a built one.
     *
     * @param f the fields
     * @return the config
     */
    public static LoraXsConfig fromJson(JsonFields f) {
        Builder b = readRankedFields(f, builder());
        b.loraDropout = f.number("lora_dropout", 0.0);
        b.rInitStd = f.number("r_init_std", 1e-5);
        return b.build();
    }

    /** Builds a {@link LoraXsConfig}. */
    public static final class Builder extends RankedConfig.Builder<LoraXsConfig, Builder> {
        private double loraDropout;
        private double rInitStd = 1e-5;

        private Builder() {}

        /**
         * Sets {@code lora_dropout}.
         *
         * @param p dropout probability in [0, 1)
         * @return this
         */
        public Builder loraDropout(double p) {
            this.loraDropout = p;
            return this;
        }

        /**
         * Sets {@code r_init_std}.
         *
         * @param std standard deviation of R's initial N(0, std²) entries, {@code >= 0}
         * @return this
         */
        public Builder rInitStd(double std) {
            this.rInitStd = std;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the config
         */
        @Override
        public LoraXsConfig build() {
            return new LoraXsConfig(this, buildCommon());
        }
    }
}

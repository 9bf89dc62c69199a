package org.peft4j.lora.xs;

import com.google.gson.JsonElement;
import com.google.gson.JsonPrimitive;

import org.peft4j.core.config.CommonFieldsBuilder;
import org.peft4j.core.config.JsonFields;
import org.peft4j.core.config.PeftConfig;

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
public final class LoraXsConfig extends PeftConfig {

    /** The {@code peft_type}. */
    public static final String PEFT_TYPE = "LORA_XS";

    private final int r;
    private final double loraAlpha;
    private final double loraDropout;
    private final double rInitStd;
    private final boolean fromFile;

    private LoraXsConfig(Builder b, Common common) {
        super(common);
        if (b.r <= 0) {
            throw new IllegalArgumentException("r: must be a positive integer, got " + b.r);
        }
        double alpha = b.loraAlpha == null ? b.r : b.loraAlpha;
        if (!Double.isFinite(alpha) || alpha == 0) {
            throw new IllegalArgumentException("lora_alpha: must be a finite nonzero number, got " + alpha);
        }
        if (!(b.loraDropout >= 0 && b.loraDropout < 1)) {
            throw new IllegalArgumentException("lora_dropout: must be in [0, 1), got " + b.loraDropout);
        }
        if (!(b.rInitStd >= 0) || !Double.isFinite(b.rInitStd)) {
            throw new IllegalArgumentException("r_init_std: must be a finite number >= 0, got " + b.rInitStd);
        }
        this.r = b.r;
        this.loraAlpha = alpha;
        this.loraDropout = b.loraDropout;
        this.rInitStd = b.rInitStd;
        this.fromFile = b.fromFile;
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
     * Returns {@code r}.
     *
     * @return the rank, the side of {@code R}
     */
    public int r() {
        return r;
    }

    /**
     * Returns {@code lora_alpha}.
     *
     * @return alpha
     */
    public double loraAlpha() {
        return loraAlpha;
    }

    /**
     * Returns the scaling {@code s = lora_alpha / r}.
     *
     * @return s
     */
    public double scaling() {
        return loraAlpha / r;
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

    /**
     * Returns whether this config was parsed for loading an adapter folder ({@link
     * LoraXsMethod#parseConfig}): its adapters start as NaN placeholders that the folder's weights
     * fill. False for every config from {@link #builder()}, {@link #toBuilder()} or {@link
     * #fromJson}; {@link #withCommon} keeps it.
     *
     * @return whether the adapter weights are to come from a file
     */
    public boolean fromFile() {
        return fromFile;
    }

    /**
     * Returns a copy marked {@link #fromFile()}, for the adapter loader.
     *
     * @return the copy
     */
    LoraXsConfig awaitingAdapterFile() {
        Builder b = toBuilder();
        b.fromFile = true;
        return b.build();
    }

    /** {@inheritDoc} Keeps {@link #fromFile()}, since the adapter loader sets inference mode this way. */
    @Override
    public LoraXsConfig withCommon(Common common) {
        Builder b = toBuilder();
        b.common(common);
        b.fromFile = fromFile;
        return b.build();
    }

    /**
     * Returns a builder holding this config's values; what it builds initialises from the weights
     * ({@link #fromFile()} is not carried over).
     *
     * @return the builder
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.common(common());
        b.r = r;
        b.loraAlpha = loraAlpha;
        b.loraDropout = loraDropout;
        b.rInitStd = rInitStd;
        return b;
    }

    /** {@inheritDoc} */
    @Override
    protected void writeMethodFields(Map<String, JsonElement> m) {
        m.put("r", new JsonPrimitive(r));
        m.put("lora_alpha", JsonFields.number(loraAlpha));
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
        Builder b = builder();
        b.common(Common.fromJson(f));
        b.r = f.integer("r", 8);
        b.loraAlpha = f.has("lora_alpha") ? f.number("lora_alpha", b.r) : null;
        b.loraDropout = f.number("lora_dropout", 0.0);
        b.rInitStd = f.number("r_init_std", 1e-5);
        f.accept("peft_type", "auto_mapping", "peft_version");
        return b.build();
    }

    /** Builds a {@link LoraXsConfig}. */
    public static final class Builder extends CommonFieldsBuilder<Builder> {
        private int r = 8;
        private Double loraAlpha;
        private double loraDropout;
        private double rInitStd = 1e-5;
        private boolean fromFile;

        private Builder() {}

        /**
         * Sets {@code r}.
         *
         * @param r the rank, positive and at most {@code min(out, in)} of every target
         * @return this
         */
        public Builder r(int r) {
            this.r = r;
            return this;
        }

        /**
         * Sets {@code lora_alpha} (default: {@code r}, i.e. scaling 1).
         *
         * @param alpha alpha
         * @return this
         */
        public Builder loraAlpha(double alpha) {
            this.loraAlpha = alpha;
            return this;
        }

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
        public LoraXsConfig build() {
            return new LoraXsConfig(this, buildCommon());
        }
    }
}

package org.peft4j.lora.loldu;

import com.google.gson.JsonElement;
import com.google.gson.JsonPrimitive;

import org.peft4j.core.config.CommonFieldsBuilder;
import org.peft4j.core.config.JsonFields;
import org.peft4j.core.config.PeftConfig;

import java.util.Map;

/**
 * LoLDU's config ({@code peft_type} {@value #PEFT_TYPE}; Shi et al., "LoLDU: Low-Rank Adaptation
 * via Lower-Diag-Upper Decomposition for Parameter-Efficient Fine-Tuning"): with the pivoted LDU
 * decomposition {@code W = P·L·diag(D)·U} and its first {@code r} pivots, the layer computes
 * {@code W_eff = W_res + σ·P·L_r·diag(z)·U_r}, where {@code W_res = W − σ0·P·L_r·diag(z0)·U_r} is
 * frozen, {@code z} ({@code [r]}, starting at {@code z0}) trains, and so does the scalar {@code σ}
 * (starting at {@code σ0 = lora_alpha / r}) unless {@code train_sigma} is false.
 *
 * <p>Fields: {@code r} (default 8; at most {@code min(out, in)}), {@code lora_alpha} (default
 * {@code r}, so {@code σ0 = 1} as in the paper's experiments; the official {@code from_linear}
 * defaults to alpha 1, i.e. {@code σ0 = 1/r}), {@code init_method} ({@code "lu"}, {@code
 * "constant"}, {@code "uniform"}, {@code "normal"}; see {@link LolduInit}), {@code train_sigma}
 * (default true: {@code r + 1} trainable values per matrix as in the paper; the official training
 * recipe trains {@code z} only, which is {@code false} here).
 *
 * <p>Immutable; build with {@link #builder()} or parse with {@link #fromJson}; either way wrapping a
 * model decomposes its weights, as PEFT's {@code get_peft_model} initialises from a loaded config.
 * Only the config that {@link LolduMethod#parseConfig} gives the adapter loader ({@code
 * PeftModel.load}, {@code loadAdapter}) is marked {@link #fromFile()}: its adapters start as NaN
 * placeholders that {@code adapter_model.safetensors} fills, so loading does not decompose the
 * weights again, and an adapter whose placeholders were never filled refuses to run.
 */
public final class LolduConfig extends PeftConfig {

    /** The {@code peft_type}. */
    public static final String PEFT_TYPE = "LOLDU";

    private final int r;
    private final double loraAlpha;
    private final LolduInit initMethod;
    private final boolean trainSigma;
    private final boolean fromFile;

    private LolduConfig(Builder b, Common common) {
        super(common);
        if (b.r <= 0) {
            throw new IllegalArgumentException("r: must be a positive integer, got " + b.r);
        }
        double alpha = b.loraAlpha == null ? b.r : b.loraAlpha;
        if (!Double.isFinite(alpha) || alpha == 0) {
            throw new IllegalArgumentException("lora_alpha: must be a finite nonzero number, got " + alpha);
        }
        if (b.initMethod == null) {
            throw new IllegalArgumentException("init_method: required; allowed values: \"lu\", \"constant\", \"uniform\", \"normal\"");
        }
        this.r = b.r;
        this.loraAlpha = alpha;
        this.initMethod = b.initMethod;
        this.trainSigma = b.trainSigma;
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
     * @return the number of pivots adapted
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
     * Returns the initial scaling {@code σ0 = lora_alpha / r}.
     *
     * @return σ0
     */
    public double initialSigma() {
        return loraAlpha / r;
    }

    /**
     * Returns {@code init_method}.
     *
     * @return how {@code z} starts
     */
    public LolduInit initMethod() {
        return initMethod;
    }

    /**
     * Returns {@code train_sigma}.
     *
     * @return whether {@code σ} trains beside {@code z}
     */
    public boolean trainSigma() {
        return trainSigma;
    }

    /**
     * Returns whether this config was parsed for loading an adapter folder ({@link
     * LolduMethod#parseConfig}): its adapters start as NaN placeholders that the folder's weights
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
    LolduConfig awaitingAdapterFile() {
        Builder b = toBuilder();
        b.fromFile = true;
        return b.build();
    }

    /** {@inheritDoc} Keeps {@link #fromFile()}, since the adapter loader sets inference mode this way. */
    @Override
    public LolduConfig withCommon(Common common) {
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
        b.initMethod = initMethod;
        b.trainSigma = trainSigma;
        return b;
    }

    /** {@inheritDoc} */
    @Override
    protected void writeMethodFields(Map<String, JsonElement> m) {
        m.put("r", new JsonPrimitive(r));
        m.put("lora_alpha", JsonFields.number(loraAlpha));
        m.put("init_method", new JsonPrimitive(initMethod.json()));
        m.put("train_sigma", new JsonPrimitive(trainSigma));
    }

    /**
     * Parses adapter_config.json fields (missing fields take the defaults). The config initialises
     * adapters from the weights like a built one.
     *
     * @param f the fields
     * @return the config
     */
    public static LolduConfig fromJson(JsonFields f) {
        Builder b = builder();
        b.common(Common.fromJson(f));
        b.r = f.integer("r", 8);
        b.loraAlpha = f.has("lora_alpha") ? f.number("lora_alpha", b.r) : null;
        b.initMethod = LolduInit.fromJson(f.string("init_method", "lu"));
        b.trainSigma = f.bool("train_sigma", true);
        f.accept("peft_type", "auto_mapping", "peft_version");
        return b.build();
    }

    /** Builds a {@link LolduConfig}. */
    public static final class Builder extends CommonFieldsBuilder<Builder> {
        private int r = 8;
        private Double loraAlpha;
        private LolduInit initMethod = LolduInit.LU;
        private boolean trainSigma = true;
        private boolean fromFile;

        private Builder() {}

        /**
         * Sets {@code r}.
         *
         * @param r the number of pivots adapted, positive and at most {@code min(out, in)}
         * @return this
         */
        public Builder r(int r) {
            this.r = r;
            return this;
        }

        /**
         * Sets {@code lora_alpha} (default: {@code r}, i.e. {@code σ0 = 1}).
         *
         * @param alpha alpha
         * @return this
         */
        public Builder loraAlpha(double alpha) {
            this.loraAlpha = alpha;
            return this;
        }

        /**
         * Sets {@code init_method}.
         *
         * @param init how {@code z} starts
         * @return this
         */
        public Builder initMethod(LolduInit init) {
            this.initMethod = init;
            return this;
        }

        /**
         * Sets {@code train_sigma}.
         *
         * @param train whether {@code σ} trains beside {@code z}
         * @return this
         */
        public Builder trainSigma(boolean train) {
            this.trainSigma = train;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the config
         */
        public LolduConfig build() {
            return new LolduConfig(this, buildCommon());
        }
    }
}

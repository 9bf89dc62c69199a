package org.peft4j.lora.loldu;

import com.google.gson.JsonElement;
import com.google.gson.JsonPrimitive;

import org.peft4j.core.config.JsonFields;
import org.peft4j.lora.RankedConfig;

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
public final class LolduConfig extends RankedConfig<LolduConfig, LolduConfig.Builder> {

    /** The {@code peft_type}. */
    public static final String PEFT_TYPE = "LOLDU";

    private final LolduInit initMethod;
    private final boolean trainSigma;

    private LolduConfig(Builder b, Common common) {
        super(b, common);
        if (b.initMethod == null) {
            throw new IllegalArgumentException("init_method: required; allowed values: \"lu\", \"constant\", \"uniform\", \"normal\"");
        }
        this.initMethod = b.initMethod;
        this.trainSigma = b.trainSigma;
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
     * Returns the initial scaling {@code σ0 = lora_alpha / r}.
     *
     * @return σ0
     */
    public double initialSigma() {
        return loraAlpha() / r();
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

    /** {@inheritDoc} */
    @Override
    public Builder toBuilder() {
        Builder b = copyRankedFields(new Builder());
        b.initMethod = initMethod;
        b.trainSigma = trainSigma;
        return b;
    }

    /** {@inheritDoc} */
    @Override
    protected void writeOtherFields(Map<String, JsonElement> m) {
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
        Builder b = readRankedFields(f, builder());
        b.initMethod = LolduInit.fromJson(f.string("init_method", "lu"));
        b.trainSigma = f.bool("train_sigma", true);
        return b.build();
    }

    /** Builds a {@link LolduConfig}. */
    public static final class Builder extends RankedConfig.Builder<LolduConfig, Builder> {
        private LolduInit initMethod = LolduInit.LU;
        private boolean trainSigma = true;

        private Builder() {}

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
        @Override
        public LolduConfig build() {
            return new LolduConfig(this, buildCommon());
        }
    }
}

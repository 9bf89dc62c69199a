package org.peft4j.lora;

import com.google.gson.JsonElement;
import com.google.gson.JsonPrimitive;

import org.peft4j.core.config.CommonFieldsBuilder;
import org.peft4j.core.config.JsonFields;
import org.peft4j.core.config.PeftConfig;

import java.util.Map;

/**
 * The part that the configs of LoRA-XS, LoRA-SB and LoLDU share: {@code r} (default 8), {@code
 * lora_alpha} (default {@code r}, so that {@code lora_alpha / r} is 1), and the {@link #fromFile()}
 * mark of a config that its method's {@code parseConfig} gave the adapter loader. Such a method
 * initialises its adapters from the base weights (or from data) when it wraps a model, so a config
 * from a builder, {@link #toBuilder()} or {@code fromJson} does, and only a config marked {@link
 * #fromFile()} starts its adapters as placeholders that {@code adapter_model.safetensors} fills.
 *
 * <p>Immutable; validated on construction ({@code r} and {@code lora_alpha} first, then the
 * method's own fields).
 *
 * @param <C> the concrete config
 * @param <B> its builder
 */
public abstract class RankedConfig<C extends RankedConfig<C, B>, B extends RankedConfig.Builder<C, B>> extends PeftConfig {

    private final int r;
    private final double loraAlpha;
    private final boolean fromFile;

    /**
     * Validates and copies the shared fields.
     *
     * @param b the builder
     * @param common the shared fields
     * @throws IllegalArgumentException naming {@code r} or {@code lora_alpha} and the bad value
     */
    protected RankedConfig(Builder<C, B> b, Common common) {
        super(common);
        if (b.r <= 0) {
            throw new IllegalArgumentException("r: must be a positive integer, got " + b.r);
        }
        double alpha = b.loraAlpha == null ? b.r : b.loraAlpha;
        if (!Double.isFinite(alpha) || alpha == 0) {
            throw new IllegalArgumentException("lora_alpha: must be a finite nonzero number, got " + alpha);
        }
        this.r = b.r;
        this.loraAlpha = alpha;
        this.fromFile = b.fromFile;
    }

    /**
     * Returns {@code r}.
     *
     * @return the rank
     */
    public final int r() {
        return r;
    }

    /**
     * Returns {@code lora_alpha}.
     *
     * @return alpha
     */
    public final double loraAlpha() {
        return loraAlpha;
    }

    /**
     * Returns whether this config was parsed for loading an adapter folder (by its method's {@code
     * parseConfig}): its adapters start as NaN placeholders that the folder's weights fill. False for
     * every config from a builder, {@link #toBuilder()} or {@code fromJson}; {@link #withCommon}
     * keeps it.
     *
     * @return whether the adapter weights are to come from a file
     */
    public final boolean fromFile() {
        return fromFile;
    }

    /**
     * Returns a copy marked {@link #fromFile()}, for the adapter loader.
     *
     * @return the copy
     */
    final C awaitingAdapterFile() {
        return rebuilt(common(), true);
    }

    /** {@inheritDoc} Keeps {@link #fromFile()}, since the adapter loader sets inference mode this way. */
    @Override
    public final C withCommon(Common common) {
        return rebuilt(common, fromFile);
    }

    private C rebuilt(Common common, boolean markFromFile) {
        B b = toBuilder();
        b.common(common);
        Builder<C, B> shared = b;
        shared.fromFile = markFromFile;
        return b.build();
    }

    /**
     * Returns a builder holding this config's values; what it builds initialises its adapters like a
     * built config ({@link #fromFile()} is not carried over).
     *
     * @return the builder
     */
    public abstract B toBuilder();

    /**
     * Sets the shared fields of a new builder from this config, for {@link #toBuilder()}.
     *
     * @param b a builder with the defaults
     * @return {@code b}
     */
    protected final B copyRankedFields(B b) {
        b.common(common());
        Builder<C, B> shared = b;
        shared.r = r;
        shared.loraAlpha = loraAlpha;
        return b;
    }

    /**
     * Reads the shared fields from adapter_config.json into a new builder (missing fields keep the
     * builder's defaults) and accepts the fields PEFT writes that no config reads.
     *
     * @param f the fields
     * @param b a builder with the defaults
     * @param <C> the config
     * @param <B> its builder
     * @return {@code b}
     */
    protected static <C extends RankedConfig<C, B>, B extends Builder<C, B>> B readRankedFields(JsonFields f, B b) {
        Builder<C, B> shared = b;
        b.common(Common.fromJson(f));
        shared.r = f.integer("r", shared.r);
        shared.loraAlpha = f.has("lora_alpha") ? f.number("lora_alpha", shared.r) : null;
        f.accept("peft_type", "auto_mapping", "peft_version");
        return b;
    }

    /** {@inheritDoc} Writes {@code r} and {@code lora_alpha}, then {@link #writeOtherFields}. */
    @Override
    protected final void writeMethodFields(Map<String, JsonElement> m) {
        m.put("r", new JsonPrimitive(r));
        m.put("lora_alpha", JsonFields.number(loraAlpha));
        writeOtherFields(m);
    }

    /**
     * Writes the method's fields other than {@code r} and {@code lora_alpha}.
     *
     * @param m the sorted field map to add to
     */
    protected abstract void writeOtherFields(Map<String, JsonElement> m);

    /**
     * The builder of a {@link RankedConfig}: {@code r}, {@code lora_alpha} and the shared target
     * fields, every setter returning the concrete builder {@code B}.
     *
     * @param <C> the config it builds
     * @param <B> the concrete builder
     */
    public abstract static class Builder<C extends RankedConfig<C, B>, B extends Builder<C, B>> extends CommonFieldsBuilder<B> {
        private int r = 8;
        private Double loraAlpha;
        private boolean fromFile;

        /** Creates a builder with the defaults. */
        protected Builder() {}

        /**
         * Sets {@code r}.
         *
         * @param r the rank, positive and at most {@code min(out, in)} of every target
         * @return this
         */
        public B r(int r) {
            this.r = r;
            return self();
        }

        /**
         * Sets {@code lora_alpha} (default: {@code r}, so that {@code lora_alpha / r} is 1).
         *
         * @param alpha alpha, finite and nonzero
         * @return this
         */
        public B loraAlpha(double alpha) {
            this.loraAlpha = alpha;
            return self();
        }

        /**
         * Validates and builds.
         *
         * @return the config
         */
        public abstract C build();
    }
}

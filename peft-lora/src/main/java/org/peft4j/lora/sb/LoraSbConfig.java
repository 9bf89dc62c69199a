package org.peft4j.lora.sb;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonPrimitive;

import org.peft4j.core.config.JsonFields;
import org.peft4j.lora.RankedConfig;

import java.util.Map;

/**
 * LoRA-SB's config ({@code peft_type} {@value #PEFT_TYPE}; Ponkshe, Singhal et al., "Initialization
 * using update approximation is a silver bullet for extreme efficient low-rank fine-tuning"): the
 * LoRA-XS architecture {@code W' = W0 + s·B·R·A} (only {@code R}, {@code [r, r]}, trains), with
 * {@code B}, {@code A} and {@code R} initialised from the truncated SVD of an estimate of the
 * first full fine-tuning update, {@code ΔW = −η_eff · sign(G)}, where {@code G} is the gradient of
 * the task loss summed over {@code num_samples} training samples: {@code B = U_r}, {@code A =
 * V_rᵀ}, {@code R = Σ_r / s}, so that {@code s·B·R·A = trunc_r(ΔW)} at step 0. {@code W0} is not
 * modified.
 *
 * <p>Fields: {@code r} (default 8), {@code lora_alpha} (default {@code r}, so {@code s = 1} as
 * every official script forces), {@code lora_dropout} (0), {@code num_samples} (64), {@code
 * estimation_lr} (1e-3) and {@code estimation_warmup_steps} (1), giving {@code η_eff =
 * estimation_lr / estimation_warmup_steps} (the learning rate of the first step of a linear
 * warm-up, which is what the official code uses), and {@code svd_niter} (null: exact top-{@code r}
 * SVD; {@code N}: randomized subspace iteration with {@code N} power iterations, sketch width
 * {@code r}, seed 42, as the official {@code torch.svd_lowrank(q=r, niter=10)}).
 *
 * <p>The estimate itself is data, not configuration: pass it with {@link #withUpdateEstimate} (see
 * {@link UpdateEstimator}). It is never written to {@code adapter_config.json}, so a config parsed
 * with {@link #fromJson} needs one too before it can wrap a model, like a built one. Only the
 * config that {@link LoraSbMethod#parseConfig} gives the adapter loader ({@code PeftModel.load},
 * {@code loadAdapter}) is marked {@link #fromFile()} and needs none: its adapters start as NaN
 * placeholders that {@code adapter_model.safetensors} fills, and an adapter whose placeholders were
 * never filled refuses to run.
 */
public final class LoraSbConfig extends RankedConfig<LoraSbConfig, LoraSbConfig.Builder> {

    /** The {@code peft_type}. */
    public static final String PEFT_TYPE = "LORA_SB";

    private final double loraDropout;
    private final int numSamples;
    private final double estimationLr;
    private final int estimationWarmupSteps;
    private final Integer svdNiter;
    private final UpdateEstimate updateEstimate;

    private LoraSbConfig(Builder b, Common common) {
        super(b, common);
        if (!(b.loraDropout >= 0 && b.loraDropout < 1)) {
            throw new IllegalArgumentException("lora_dropout: must be in [0, 1), got " + b.loraDropout);
        }
        if (b.numSamples <= 0) {
            throw new IllegalArgumentException("num_samples: must be a positive integer, got " + b.numSamples);
        }
        if (!(b.estimationLr > 0) || !Double.isFinite(b.estimationLr)) {
            throw new IllegalArgumentException("estimation_lr: must be a finite number > 0, got " + b.estimationLr);
        }
        if (b.estimationWarmupSteps <= 0) {
            throw new IllegalArgumentException("estimation_warmup_steps: must be a positive integer (1 = no warm-up), got " + b.estimationWarmupSteps);
        }
        if (b.svdNiter != null && b.svdNiter < 0) {
            throw new IllegalArgumentException("svd_niter: must be null (exact SVD) or an integer >= 0, got " + b.svdNiter);
        }
        this.loraDropout = b.loraDropout;
        this.numSamples = b.numSamples;
        this.estimationLr = b.estimationLr;
        this.estimationWarmupSteps = b.estimationWarmupSteps;
        this.svdNiter = b.svdNiter;
        this.updateEstimate = b.updateEstimate;
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
     * @return the dropout probability on the adapter's input in training
     */
    public double loraDropout() {
        return loraDropout;
    }

    /**
     * Returns {@code num_samples}.
     *
     * @return how many training samples the gradient is summed over
     */
    public int numSamples() {
        return numSamples;
    }

    /**
     * Returns {@code estimation_lr}.
     *
     * @return the peak learning rate of the training run the estimate stands for
     */
    public double estimationLr() {
        return estimationLr;
    }

    /**
     * Returns {@code estimation_warmup_steps}.
     *
     * @return the linear warm-up length of that run, in steps (1 = none)
     */
    public int estimationWarmupSteps() {
        return estimationWarmupSteps;
    }

    /**
     * Returns {@code η_eff = estimation_lr / estimation_warmup_steps}, the magnitude of every entry
     * of {@code ΔW}.
     *
     * @return η_eff
     */
    public double effectiveLearningRate() {
        return estimationLr / estimationWarmupSteps;
    }

    /**
     * Returns {@code svd_niter}.
     *
     * @return null for the exact SVD, else the power iterations of the randomized SVD
     */
    public Integer svdNiter() {
        return svdNiter;
    }

    /**
     * Returns the update estimate the adapters start from, or null.
     *
     * @return the estimate or null
     */
    public UpdateEstimate updateEstimate() {
        return updateEstimate;
    }

    /**
     * Returns a copy that initialises from {@code estimate}. The estimate must have been computed
     * for this config's targets and rank; it is read when the model is wrapped, and may be closed
     * afterwards. Like {@link #toBuilder()}, the copy is not marked {@link #fromFile()}.
     *
     * @param estimate the estimate, from {@link UpdateEstimator}
     * @return the copy
     */
    public LoraSbConfig withUpdateEstimate(UpdateEstimate estimate) {
        Builder b = toBuilder();
        b.updateEstimate = estimate;
        return b.build();
    }

    /**
     * Returns a builder holding this config's values (the estimate included); what it builds
     * initialises from the estimate ({@link #fromFile()} is not carried over).
     *
     * @return the builder
     */
    @Override
    public Builder toBuilder() {
        Builder b = copyRankedFields(new Builder());
        b.loraDropout = loraDropout;
        b.numSamples = numSamples;
        b.estimationLr = estimationLr;
        b.estimationWarmupSteps = estimationWarmupSteps;
        b.svdNiter = svdNiter;
        b.updateEstimate = updateEstimate;
        return b;
    }

    /** {@inheritDoc} */
    @Override
    protected void writeOtherFields(Map<String, JsonElement> m) {
        m.put("lora_dropout", new JsonPrimitive(loraDropout));
        m.put("num_samples", new JsonPrimitive(numSamples));
        m.put("estimation_lr", new JsonPrimitive(estimationLr));
        m.put("estimation_warmup_steps", new JsonPrimitive(estimationWarmupSteps));
        m.put("svd_niter", svdNiter == null ? JsonNull.INSTANCE : new JsonPrimitive(svdNiter));
    }

    /**
     * Parses adapter_config.json fields (missing fields take the defaults). Like a built config, it
     * needs an estimate ({@link #withUpdateEstimate}) before it can wrap a model.
     *
     * @param f the fields
     * @return the config
     */
    public static LoraSbConfig fromJson(JsonFields f) {
        Builder b = readRankedFields(f, builder());
        b.loraDropout = f.number("lora_dropout", 0.0);
        b.numSamples = f.integer("num_samples", 64);
        b.estimationLr = f.number("estimation_lr", 1e-3);
        b.estimationWarmupSteps = f.integer("estimation_warmup_steps", 1);
        b.svdNiter = f.has("svd_niter") ? f.integer("svd_niter", 0) : null;
        return b.build();
    }

    /** Builds a {@link LoraSbConfig}. */
    public static final class Builder extends RankedConfig.Builder<LoraSbConfig, Builder> {
        private double loraDropout;
        private int numSamples = 64;
        private double estimationLr = 1e-3;
        private int estimationWarmupSteps = 1;
        private Integer svdNiter;
        private UpdateEstimate updateEstimate;

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
         * Sets {@code num_samples}.
         *
         * @param n training samples the gradient is summed over (the official scripts use 2 to 170)
         * @return this
         */
        public Builder numSamples(int n) {
            this.numSamples = n;
            return this;
        }

        /**
         * Sets {@code estimation_lr} and {@code estimation_warmup_steps} from the training schedule
         * that will follow: {@code η_eff = lr / warmupSteps}.
         *
         * @param lr the peak learning rate of the training run, {@code > 0}
         * @param warmupSteps its linear warm-up length in steps, {@code >= 1} (1 = none)
         * @return this
         */
        public Builder estimationSchedule(double lr, int warmupSteps) {
            this.estimationLr = lr;
            this.estimationWarmupSteps = warmupSteps;
            return this;
        }

        /**
         * Sets {@code svd_niter}.
         *
         * @param niter null for the exact SVD, else the power iterations of a randomized SVD
         * @return this
         */
        public Builder svdNiter(Integer niter) {
            this.svdNiter = niter;
            return this;
        }

        /**
         * Sets the update estimate the adapters start from.
         *
         * @param estimate the estimate, or null
         * @return this
         */
        public Builder updateEstimate(UpdateEstimate estimate) {
            this.updateEstimate = estimate;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the config
         */
        @Override
        public LoraSbConfig build() {
            return new LoraSbConfig(this, buildCommon());
        }
    }
}

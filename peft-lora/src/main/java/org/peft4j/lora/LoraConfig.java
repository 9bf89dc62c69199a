package org.peft4j.lora;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

import org.peft4j.core.config.BiasMode;
import org.peft4j.core.config.JsonFields;
import org.peft4j.core.config.PeftConfig;
import org.peft4j.core.config.TargetModules;
import org.peft4j.core.config.TargetSpec;
import org.peft4j.core.match.PatternKeys;
import org.peft4j.lora.eva.EvaConfig;
import org.peft4j.lora.eva.EvaResult;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * LoRA's config with PEFT's field names and defaults ({@code peft/tuners/lora/config.py}): {@code
 * r} 8, {@code lora_alpha} 8, {@code lora_dropout} 0, {@code use_rslora} false, {@code
 * init_lora_weights} true, {@code rank_pattern} / {@code alpha_pattern} empty, {@code lora_bias}
 * false, {@code use_dora} false. Scaling is {@code lora_alpha / r}, or {@code lora_alpha / sqrt(r)}
 * with rsLoRA.
 *
 * <p>Immutable; build with {@link #builder()}.
 */
public final class LoraConfig extends PeftConfig {

    /** The {@code peft_type}. */
    public static final String PEFT_TYPE = "LORA";

    private final int r;
    private final double loraAlpha;
    private final double loraDropout;
    private final boolean useRslora;
    private final LoraInit initLoraWeights;
    private final Map<String, Integer> rankPattern;
    private final Map<String, Double> alphaPattern;
    private final boolean loraBias;
    private final Integer pissaNiter;
    private final boolean useDora;
    private final boolean fromFile;
    private final EvaConfig evaConfig;
    private final EvaResult evaResult;

    private LoraConfig(Builder b, Common common) {
        super(common);
        if (b.r <= 0) {
            throw new IllegalArgumentException("r: `r` should be a positive integer value but the value passed is " + b.r);
        }
        if (!(b.loraDropout >= 0 && b.loraDropout < 1)) {
            throw new IllegalArgumentException("lora_dropout: must be in [0, 1), got " + b.loraDropout);
        }
        if (!Double.isFinite(b.loraAlpha)) {
            throw new IllegalArgumentException("lora_alpha: must be a finite number, got " + b.loraAlpha);
        }
        for (Map.Entry<String, Integer> e : b.rankPattern.entrySet()) {
            if (e.getValue() == null || e.getValue() <= 0) {
                throw new IllegalArgumentException("rank_pattern." + e.getKey() + ": ranks must be positive integers, got " + e.getValue());
            }
        }
        for (Map.Entry<String, Double> e : b.alphaPattern.entrySet()) {
            if (e.getValue() == null || !Double.isFinite(e.getValue())) {
                throw new IllegalArgumentException("alpha_pattern." + e.getKey() + ": must be a finite number, got " + e.getValue());
            }
        }
        if (b.loraBias && b.init != LoraInit.DEFAULT && b.init != LoraInit.RANDOM) {
            throw new IllegalArgumentException("lora_bias: only supported with init_lora_weights true or false, not " + initJson(b.init, b.pissaNiter));
        }
        if (b.init == LoraInit.ORTHOGONAL && b.r % 2 != 0) {
            throw new IllegalArgumentException("init_lora_weights: Orthogonal initialization requires the LoRA rank to be even, got r " + b.r + " instead.");
        }
        if (b.useDora && b.loraBias) {
            throw new IllegalArgumentException("lora_bias: not supported together with use_dora (PEFT refuses the pair too); set one of them to false");
        }
        if (b.pissaNiter != null && (b.init != LoraInit.PISSA || b.pissaNiter < 0)) {
            throw new IllegalArgumentException("init_lora_weights: the power-iteration count of \"pissa_niter_[N]\" must be an integer >= 0 and"
                    + " needs init_lora_weights PISSA, got init " + b.init + " with niter " + b.pissaNiter);
        }
        if (b.init == LoraInit.PISSA && !(b.loraAlpha > 0)) {
            throw new IllegalArgumentException("lora_alpha: PiSSA needs lora_alpha > 0 (it splits √(S / scaling) between A and B), got " + b.loraAlpha);
        }
        this.r = b.r;
        this.loraAlpha = b.loraAlpha;
        this.loraDropout = b.loraDropout;
        this.useRslora = b.useRslora;
        this.initLoraWeights = b.init;
        this.rankPattern = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(b.rankPattern));
        this.alphaPattern = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(b.alphaPattern));
        this.loraBias = b.loraBias;
        this.pissaNiter = b.pissaNiter;
        this.useDora = b.useDora;
        this.fromFile = b.fromFile;
        // PEFT: init "eva" without eva_config takes EvaConfig()'s defaults; eva_config with another init is kept and ignored
        this.evaConfig = b.init == LoraInit.EVA && b.evaConfig == null ? EvaConfig.defaults() : b.evaConfig;
        this.evaResult = b.evaResult;
        if (b.evaResult != null && b.init != LoraInit.EVA) {
            throw new IllegalArgumentException("init_lora_weights: an EVA result needs init_lora_weights \"eva\", got " + initJson(b.init, b.pissaNiter));
        }
    }

    /**
     * Returns a builder with PEFT's defaults.
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
     * @return the default rank
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
     * Returns {@code lora_dropout}.
     *
     * @return the dropout probability in [0, 1)
     */
    public double loraDropout() {
        return loraDropout;
    }

    /**
     * Returns {@code use_rslora}.
     *
     * @return whether scaling is alpha / sqrt(r)
     */
    public boolean useRslora() {
        return useRslora;
    }

    /**
     * Returns {@code init_lora_weights}.
     *
     * @return the init
     */
    public LoraInit initLoraWeights() {
        return initLoraWeights;
    }

    /**
     * Returns the power iterations of {@code init_lora_weights = "pissa_niter_N"}.
     *
     * @return N, or null for {@code "pissa"} (exact SVD) and every other init
     */
    public Integer pissaNiter() {
        return pissaNiter;
    }

    /**
     * Returns {@code lora_bias}.
     *
     * @return whether lora_B has a bias
     */
    public boolean loraBias() {
        return loraBias;
    }

    /**
     * Returns {@code use_dora}.
     *
     * @return whether the adapters are DoRA adapters ({@code lora_magnitude_vector} per layer)
     */
    public boolean useDora() {
        return useDora;
    }

    /**
     * Returns {@code rank_pattern}.
     *
     * @return pattern to rank, in priority order
     */
    public Map<String, Integer> rankPattern() {
        return rankPattern;
    }

    /**
     * Returns {@code alpha_pattern}.
     *
     * @return pattern to alpha, in priority order
     */
    public Map<String, Double> alphaPattern() {
        return alphaPattern;
    }

    /**
     * Returns the rank for a module path, after {@code rank_pattern}.
     *
     * @param path the module path
     * @return the rank
     */
    public int rankFor(String path) {
        return PatternKeys.valueFor(rankPattern, path, r);
    }

    /**
     * Returns alpha for a module path, after {@code alpha_pattern}.
     *
     * @param path the module path
     * @return alpha
     */
    public double alphaFor(String path) {
        return PatternKeys.valueFor(alphaPattern, path, loraAlpha);
    }

    /**
     * Returns the scaling for a module path: {@code alpha/r} or {@code alpha/sqrt(r)} with rsLoRA.
     *
     * @param path the module path
     * @return the scaling
     */
    public double scalingFor(String path) {
        int rank = rankFor(path);
        double alpha = alphaFor(path);
        return useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
    }

    /** {@inheritDoc} */
    @Override
    public LoraConfig withCommon(Common common) {
        Builder b = toBuilder().common(common);
        b.fromFile = fromFile;
        b.evaResult = evaResult;
        return b.build();
    }

    /**
     * Returns whether this config was parsed for loading an adapter folder ({@link
     * LoraMethod#parseConfig}), whose weights then replace the initial factors. False for every
     * config from {@link #builder()}, {@link #toBuilder()} or {@link #fromJson}; {@link #withCommon}
     * keeps it. It matters only for {@code init_lora_weights "eva"}, whose data-driven
     * initialisation peft4j does not compute: such a config is accepted for loading only.
     *
     * @return whether the adapter weights are to come from a file
     */
    public boolean fromFile() {
        return fromFile;
    }

    /**
     * Returns {@code eva_config}: the settings of EVA's data pass ({@code init_lora_weights "eva"}).
     *
     * @return the EVA config; PEFT's defaults when the init is EVA and none was given; null when
     *     none was given for another init
     */
    public EvaConfig evaConfig() {
        return evaConfig;
    }

    /**
     * Returns the result of EVA's data pass this config creates its adapters from, or null. It is
     * not part of adapter_config.json: the saved {@code lora_A} carries it.
     *
     * @return the result, or null
     */
    public EvaResult evaResult() {
        return evaResult;
    }

    /**
     * Returns the config of the adapter EVA's data pass initialises, as PEFT's {@code
     * initialize_lora_eva_weights} rewrites it: {@code target_modules} lists the layers whose rank is
     * above 0, {@code rank_pattern} holds every layer whose rank differs from {@code r}, and {@code
     * alpha_pattern} every layer whose alpha differs from {@code lora_alpha}, alpha being multiplied by
     * {@code new_rank / rank} when {@code adjust_scaling_factors} is on (earlier patterns are
     * replaced). The adapters it creates start from the result's {@code lora_A} and a zero {@code
     * lora_B}.
     *
     * @param result the data pass's result, for this config's targets
     * @return the new config
     * @throws IllegalArgumentException if this config's init is not EVA, or every layer got rank 0
     */
    public LoraConfig withEvaResult(EvaResult result) {
        java.util.Objects.requireNonNull(result, "result");
        if (initLoraWeights != LoraInit.EVA) {
            throw new IllegalArgumentException("init_lora_weights: an EVA result needs init_lora_weights \"eva\", got " + initJson(initLoraWeights, pissaNiter));
        }
        List<String> targets = new java.util.ArrayList<>();
        Map<String, Integer> ranks = new LinkedHashMap<>();
        Map<String, Double> alphas = new LinkedHashMap<>();
        for (EvaResult.Layer l : result.layers().values()) {
            int newRank = l.rank();
            if (newRank == 0) {
                continue;
            }
            int rank = rankFor(l.path());
            double alpha = alphaFor(l.path());
            if (newRank != rank && result.evaConfig().adjustScalingFactors()) {
                alpha *= (double) newRank / rank;
            }
            targets.add(l.path());
            if (newRank != r) {
                ranks.put(l.path(), newRank);
            }
            if (alpha != loraAlpha) {
                alphas.put(l.path(), alpha);
            }
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("EVA gave every layer rank 0; there is no adapter to create");
        }
        TargetSpec t = common().targets();
        Builder b = toBuilder();
        b.common = common().withTargets(new TargetSpec(TargetModules.names(targets), t.excludeModules(), t.layersToTransform(), t.layersPattern()));
        b.rankPattern.clear();
        b.rankPattern.putAll(ranks);
        b.alphaPattern.clear();
        b.alphaPattern.putAll(alphas);
        b.evaConfig = result.evaConfig();
        b.evaResult = result;
        return b.build();
    }

    /**
     * Returns a copy marked {@link #fromFile()}, for the adapter loader.
     *
     * @return the copy
     */
    LoraConfig awaitingAdapterFile() {
        Builder b = toBuilder();
        b.fromFile = true;
        return b.build();
    }

    /**
     * Returns a builder holding this config's values.
     *
     * @return the builder
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.common = common();
        b.r = r;
        b.loraAlpha = loraAlpha;
        b.loraDropout = loraDropout;
        b.useRslora = useRslora;
        b.init = initLoraWeights;
        b.rankPattern.putAll(rankPattern);
        b.alphaPattern.putAll(alphaPattern);
        b.loraBias = loraBias;
        b.pissaNiter = pissaNiter;
        b.useDora = useDora;
        b.evaConfig = evaConfig;
        return b;
    }

    /** {@inheritDoc} */
    @Override
    protected void writeMethodFields(Map<String, JsonElement> m) {
        m.put("r", new JsonPrimitive(r));
        m.put("lora_alpha", JsonFields.number(loraAlpha));
        m.put("lora_dropout", new JsonPrimitive(loraDropout));
        m.put("use_rslora", new JsonPrimitive(useRslora));
        m.put("init_lora_weights", initJson(initLoraWeights, pissaNiter));
        JsonObject rp = new JsonObject();
        rankPattern.forEach(rp::addProperty);
        m.put("rank_pattern", rp);
        JsonObject ap = new JsonObject();
        alphaPattern.forEach((k, v) -> ap.add(k, JsonFields.number(v)));
        m.put("alpha_pattern", ap);
        m.put("fan_in_fan_out", new JsonPrimitive(false));
        m.put("use_dora", new JsonPrimitive(useDora));
        m.put("layer_replication", JsonNull.INSTANCE);
        m.put("loftq_config", new JsonObject());
        m.put("megatron_config", JsonNull.INSTANCE);
        m.put("megatron_core", new JsonPrimitive("megatron.core"));
        if (loraBias) {
            m.put("lora_bias", new JsonPrimitive(true));
        }
        if (evaConfig != null) {
            // only when set: PEFT before 0.14 does not know the field and refuses unknown keys
            m.put("eva_config", evaConfig.toJson());
        }
    }

    private static JsonPrimitive initJson(LoraInit init, Integer niter) {
        switch (init) {
            case DEFAULT:
                return new JsonPrimitive(true);
            case RANDOM:
                return new JsonPrimitive(false);
            case GAUSSIAN:
                return new JsonPrimitive("gaussian");
            case ORTHOGONAL:
                return new JsonPrimitive("orthogonal");
            case EVA:
                return new JsonPrimitive("eva");
            case OLORA:
                return new JsonPrimitive("olora");
            default:
                return new JsonPrimitive(niter == null ? "pissa" : "pissa_niter_" + niter);
        }
    }

    /**
     * Parses adapter_config.json fields of a LoRA adapter (missing fields take PEFT's defaults).
     *
     * @param f the fields
     * @return the config
     */
    public static LoraConfig fromJson(JsonFields f) {
        Builder b = builder();
        b.common = Common.fromJson(f);
        b.r = f.integer("r", 8);
        b.loraAlpha = f.number("lora_alpha", 8);
        b.loraDropout = f.number("lora_dropout", 0.0);
        b.useRslora = f.bool("use_rslora", false);
        JsonElement init = f.raw("init_lora_weights");
        if (init == null || (init.isJsonPrimitive() && init.getAsJsonPrimitive().isBoolean())) {
            b.init = init == null || init.getAsBoolean() ? LoraInit.DEFAULT : LoraInit.RANDOM;
        } else if (init.isJsonPrimitive() && "gaussian".equals(init.getAsString())) {
            b.init = LoraInit.GAUSSIAN;
        } else if (init.isJsonPrimitive() && "orthogonal".equals(init.getAsString())) {
            b.init = LoraInit.ORTHOGONAL;
        } else if (init.isJsonPrimitive() && "olora".equals(init.getAsString())) {
            b.init = LoraInit.OLORA;
        } else if (init.isJsonPrimitive() && "eva".equals(init.getAsString())) {
            b.init = LoraInit.EVA;
        } else if (init.isJsonPrimitive() && "pissa".equals(init.getAsString())) {
            b.init = LoraInit.PISSA;
        } else if (init.isJsonPrimitive() && init.getAsJsonPrimitive().isString() && init.getAsString().matches("pissa_niter_\\d{1,9}")) {
            // PEFT: int(init_lora_weights.split("_niter_")[-1])
            b.init = LoraInit.PISSA;
            b.pissaNiter = Integer.parseInt(init.getAsString().substring("pissa_niter_".length()));
        } else {
            throw new IllegalArgumentException("init_lora_weights: " + init + " is not supported by LORA here; allowed values: "
                    + LoraInit.JSON_VALUES + " (the data-driven methods LoRA-SB, LoLDU and LoRA-XS have their own peft_type)");
        }
        for (Map.Entry<String, Double> e : f.numberMap("rank_pattern").entrySet()) {
            double rank = e.getValue();
            // not rounded: 2.5 is no rank, and (int) of 4294967297 would wrap to 1
            if (rank != Math.rint(rank) || Math.abs(rank) > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("rank_pattern." + e.getKey() + ": ranks must be positive integers, got " + e.getValue());
            }
            b.rankPattern.put(e.getKey(), (int) rank);
        }
        b.alphaPattern.putAll(f.numberMap("alpha_pattern"));
        b.loraBias = f.bool("lora_bias", false);
        b.useDora = f.bool("use_dora", false);
        JsonElement eva = f.raw("eva_config");
        if (eva != null && !eva.isJsonNull()) {
            b.evaConfig = EvaConfig.fromJson(eva);
        }
        if (f.bool("fan_in_fan_out", false)) {
            throw new IllegalArgumentException("fan_in_fan_out: only false is supported (weights are [out, in] here)");
        }
        if (f.has("layer_replication")) {
            throw new IllegalArgumentException("layer_replication: not supported; allowed value: null");
        }
        // fields that change the forward pass or adapt more than the Linear layers (PEFT's LoRA variants,
        // parameter targets, trainable tokens): ignoring them would load an adapter that computes something else
        for (String[] v : UNSUPPORTED_WHEN_SET) {
            refuseIfSet(f, v[0], v[1]);
        }
        f.accept("peft_type", "auto_mapping", "peft_version", "megatron_config", "megatron_core", "loftq_config",
                "qalora_group_size", "eva_config", "corda_config", "lora_ga_config", "runtime_config", "ensure_weight_tying");
        return b.build();
    }

    /** PEFT config fields (field, what it turns on) whose non-default values peft4j cannot honour. */
    private static final String[][] UNSUPPORTED_WHEN_SET = {
        {"use_qalora", "QALoRA (GPTQ-quantized layers)"},
        {"trainable_token_indices", "trainable tokens (extra embedding rows)"},
        {"target_parameters", "LoRA on nn.Parameter targets"},
        {"alora_invocation_tokens", "activated LoRA (aLoRA)"},
        {"arrow_config", "Arrow routing"},
        {"velora_config", "VeLoRA"},
        {"monteclora_config", "MonteCLoRA"},
        {"use_bdlora", "BD-LoRA"},
        {"kasa_config", "KaSA"},
    };

    private static void refuseIfSet(JsonFields f, String field, String what) {
        JsonElement e = f.raw(field);
        f.accept(field);
        boolean unset = e == null || e.isJsonNull()
                || (e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean() && !e.getAsBoolean())
                || (e.isJsonArray() && e.getAsJsonArray().isEmpty())
                || (e.isJsonObject() && e.getAsJsonObject().size() == 0);
        if (!unset) {
            throw new IllegalArgumentException(field + ": " + what + " is not supported; allowed values: null, false or empty, got " + e);
        }
    }

    /** Builds a {@link LoraConfig}; unset fields take PEFT's defaults. */
    public static final class Builder {
        private Common common;
        private TargetModules targets;
        private TargetModules exclude;
        private List<Integer> layersToTransform;
        private List<String> layersPattern;
        private List<String> modulesToSave;
        private BiasMode bias = BiasMode.NONE;
        private String taskType;
        private String baseModel;
        private boolean inferenceMode;
        private int r = 8;
        private double loraAlpha = 8;
        private double loraDropout;
        private boolean useRslora;
        private LoraInit init = LoraInit.DEFAULT;
        private final Map<String, Integer> rankPattern = new LinkedHashMap<>();
        private final Map<String, Double> alphaPattern = new LinkedHashMap<>();
        private boolean loraBias;
        private Integer pissaNiter;
        private boolean useDora;
        private boolean fromFile;
        private EvaConfig evaConfig;
        private EvaResult evaResult;

        private Builder() {}

        Builder common(Common c) {
            this.common = c;
            return this;
        }

        /**
         * Sets {@code r}.
         *
         * @param r the rank, positive
         * @return this
         */
        public Builder r(int r) {
            this.r = r;
            return this;
        }

        /**
         * Sets {@code lora_alpha}.
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
         * Sets {@code use_rslora}.
         *
         * @param rs whether scaling is alpha/sqrt(r)
         * @return this
         */
        public Builder useRslora(boolean rs) {
            this.useRslora = rs;
            return this;
        }

        /**
         * Sets {@code init_lora_weights}.
         *
         * @param init the init
         * @return this
         */
        public Builder initLoraWeights(LoraInit init) {
            this.init = init;
            this.pissaNiter = null;
            return this;
        }

        /**
         * Sets {@code init_lora_weights = "pissa_niter_N"}: PiSSA with a randomized SVD of {@code
         * niter} power iterations ({@code null} means {@code "pissa"}, the exact SVD).
         *
         * @param niter the power iterations, {@code >= 0}, or null
         * @return this
         */
        public Builder pissaNiter(Integer niter) {
            this.init = LoraInit.PISSA;
            this.pissaNiter = niter;
            return this;
        }

        /**
         * Sets {@code target_modules} as names.
         *
         * @param names names matched exactly or as whole-segment suffixes
         * @return this
         */
        public Builder targetModules(String... names) {
            this.targets = TargetModules.names(names);
            common = null;
            return this;
        }

        /**
         * Sets {@code target_modules}.
         *
         * @param targets the targets
         * @return this
         */
        public Builder targetModules(TargetModules targets) {
            this.targets = targets;
            common = null;
            return this;
        }

        /**
         * Sets {@code target_modules} to a full-path regex (or {@code "all-linear"}).
         *
         * @param regex the expression
         * @return this
         */
        public Builder targetModulesRegex(String regex) {
            return targetModules(TargetModules.regex(regex));
        }

        /**
         * Sets {@code exclude_modules}.
         *
         * @param exclude the exclusions
         * @return this
         */
        public Builder excludeModules(TargetModules exclude) {
            this.exclude = exclude;
            common = null;
            return this;
        }

        /**
         * Sets {@code layers_to_transform}.
         *
         * @param layers layer indices
         * @return this
         */
        public Builder layersToTransform(Integer... layers) {
            this.layersToTransform = List.of(layers);
            common = null;
            return this;
        }

        /**
         * Sets {@code layers_pattern}.
         *
         * @param patterns the names of layer containers
         * @return this
         */
        public Builder layersPattern(String... patterns) {
            this.layersPattern = List.of(patterns);
            common = null;
            return this;
        }

        /**
         * Sets {@code modules_to_save}.
         *
         * @param modules names of modules to train and save whole
         * @return this
         */
        public Builder modulesToSave(String... modules) {
            this.modulesToSave = List.of(modules);
            common = null;
            return this;
        }

        /**
         * Sets {@code bias}.
         *
         * @param bias the mode
         * @return this
         */
        public Builder bias(BiasMode bias) {
            this.bias = bias;
            common = null;
            return this;
        }

        /**
         * Sets {@code task_type}; {@code "SEQ_CLS"} adds PEFT's default {@code modules_to_save}
         * {@code classifier} and {@code score}.
         *
         * @param taskType the task type
         * @return this
         */
        public Builder taskType(String taskType) {
            this.taskType = taskType;
            common = null;
            return this;
        }

        /**
         * Sets {@code base_model_name_or_path}.
         *
         * @param name informational base model name
         * @return this
         */
        public Builder baseModelNameOrPath(String name) {
            this.baseModel = name;
            common = null;
            return this;
        }

        /**
         * Sets {@code inference_mode}.
         *
         * @param mode whether the adapter is frozen
         * @return this
         */
        public Builder inferenceMode(boolean mode) {
            this.inferenceMode = mode;
            common = null;
            return this;
        }

        /**
         * Adds a {@code rank_pattern} entry (first matching key wins, in insertion order).
         *
         * @param pattern the key pattern
         * @param rank the rank
         * @return this
         */
        public Builder rankPattern(String pattern, int rank) {
            rankPattern.put(pattern, rank);
            return this;
        }

        /**
         * Adds an {@code alpha_pattern} entry.
         *
         * @param pattern the key pattern
         * @param alpha alpha
         * @return this
         */
        public Builder alphaPattern(String pattern, double alpha) {
            alphaPattern.put(pattern, alpha);
            return this;
        }

        /**
         * Sets {@code lora_bias}.
         *
         * @param loraBias whether lora_B has a trainable bias
         * @return this
         */
        public Builder loraBias(boolean loraBias) {
            this.loraBias = loraBias;
            return this;
        }

        /**
         * Sets {@code use_dora}: DoRA, the weight-decomposed form of LoRA (Liu et al., 2024), as PEFT
         * implements it. Each adapted layer gets a trainable magnitude vector {@code
         * lora_magnitude_vector} {@code [out]} and computes {@code m ⊙ (W + s·B·A) / ‖W + s·B·A‖_row}.
         *
         * @param useDora whether the adapters are DoRA adapters
         * @return this
         */
        public Builder useDora(boolean useDora) {
            this.useDora = useDora;
            return this;
        }

        /**
         * Sets {@code eva_config}, the settings of EVA's data pass (see {@link
         * org.peft4j.lora.eva.EvaInitializer}); with {@code init_lora_weights "eva"} and none set,
         * PEFT's defaults apply.
         *
         * @param config the settings, or null
         * @return this
         */
        public Builder evaConfig(EvaConfig config) {
            this.evaConfig = config;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the config
         */
        public LoraConfig build() {
            Common c = common;
            if (c == null) {
                List<String> save = modulesToSave;
                if ("SEQ_CLS".equals(taskType)) {
                    List<String> s = new java.util.ArrayList<>(save == null ? List.of() : save);
                    s.add("classifier");
                    s.add("score");
                    save = s;
                }
                if (targets == null) {
                    throw new IllegalArgumentException("target_modules: required; give names (e.g. \"query\", \"value\"), a regex, or \"all-linear\"");
                }
                c = new Common(taskType, baseModel, null, inferenceMode,
                        new TargetSpec(targets, exclude, layersToTransform, layersPattern), save, bias);
            }
            return new LoraConfig(this, c);
        }
    }
}

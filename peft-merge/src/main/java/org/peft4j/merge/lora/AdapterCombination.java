package org.peft4j.merge.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import org.peft4j.core.PeftException;
import org.peft4j.core.PeftModel;
import org.peft4j.core.adapter.Adapter;
import org.peft4j.core.adapter.AdapterHost;
import org.peft4j.core.adapter.ModulesToSaveHost;
import org.peft4j.core.config.PeftConfig;
import org.peft4j.core.match.TargetMatcher;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.core.nn.DenseWeights;
import org.peft4j.core.nn.LinearLayers;
import org.peft4j.lora.LoraAdapter;
import org.peft4j.lora.LoraConfig;
import org.peft4j.lora.dora.DoraAdapter;
import org.peft4j.lora.linalg.Svd;
import org.peft4j.lora.linalg.SvdResult;
import org.peft4j.merge.consensus.SignElection;
import org.peft4j.merge.method.Dare;
import org.peft4j.merge.method.MagnitudePrune;
import org.peft4j.merge.method.TaskArithmetic;
import org.peft4j.merge.method.TaskVectorCombiner;
import org.peft4j.merge.method.Ties;
import org.peft4j.merge.method.TiesVariant;
import org.peft4j.merge.method.Weights;
import org.peft4j.merge.sparsify.DareRescale;
import org.peft4j.merge.sparsify.Density;
import org.peft4j.merge.sparsify.MaskSource;

/**
 * Combines several LoRA adapters into one, as PEFT's {@code LoraModel.add_weighted_adapter} does
 * (peft-semantics.md 7.1): on the factors of one layer with {@link #combine}, or on a whole {@link
 * PeftModel} with {@link #addWeightedAdapter}, which adds the result as a new named adapter.
 *
 * <pre>{@code
 * AdapterCombination.builder(CombinationType.CAT).weights(0.6, 0.4).build()
 *         .addWeightedAdapter(peft, List.of("sst2", "mnli"), "both");
 * peft.setActiveAdapters("both");
 * }</pre>
 *
 * The result has scaling 1 (PEFT
 * sets {@code lora_alpha = r} of the new adapter), so {@code Delta W = B A}. With {@code Delta W_i =
 * s_i B_i A_i}:
 *
 * <ul>
 *   <li>{@link CombinationType#CAT}: {@code A = concat_rows(w_i s_i A_i)}, {@code B =
 *       concat_cols(B_i)}, so {@code B A = sum_i w_i Delta W_i} exactly, rank {@code sum_i r_i}.
 *   <li>SVD family ({@code svd}, {@code ties_svd}, ...): {@code Delta = f({Delta W_i}, w)}, then a
 *       truncated SVD ({@link Svd}) of rank {@code svdRank} (default {@code max r_i}): {@code B =
 *       U_r diag(S_r)},
 *       {@code A = Vh_r}; optionally both clamped to the {@code svdClamp} quantile of their entries.
 *       This follows PEFT 0.21.0 ({@code sum_i w_i Delta W_i}); PEFT's main branch multiplies by
 *       {@code s_i} a second time (methods-spec.md Choices #13), which is not reproduced.
 *   <li>Factor family ({@code linear}, {@code ties}, {@code dare_linear}, {@code dare_ties}, {@code
 *       magnitude_prune}): {@code A = f({A_i}, wA)}, {@code B = f({B_i}, wB)} with {@code wA_i =
 *       sign(w_i s_i) sqrt|w_i s_i|}, {@code wB_i = sqrt|w_i s_i|}; ranks must be equal. Caveat:
 *       for more than one adapter {@code B A} contains cross terms {@code B_i A_j} and is
 *       <em>not</em> {@code sum_i w_i Delta W_i} (PEFT issue #3004); it is exact for one adapter.
 * </ul>
 *
 * With a single adapter every type is treated as {@code linear}, as PEFT does; the result is then
 * exactly {@code w Delta W}.
 */
public final class AdapterCombination {

    /** PEFT's error for unequal ranks with the A-and-B-separate types ({@code lora/model.py}). */
    static final String UNEQUAL_RANKS =
            "All adapters must have the same r value when using combination_type linear, ties, dare_ties or"
                    + " dare_linear.";

    private final CombinationType type;
    private final Weights weights;
    private final double density;
    private final SignElection majoritySign;
    private final long seed;
    private final int svdRank;
    private final double svdClamp;
    private final IntFunction<Svd> svd;

    private AdapterCombination(Builder b) {
        this.type = b.type;
        this.weights = b.weights;
        this.density = b.density;
        this.majoritySign = b.majoritySign;
        this.seed = b.seed;
        this.svdRank = b.svdRank;
        this.svdClamp = b.svdClamp;
        this.svd = b.svd;
    }

    /**
     * Starts a configuration.
     *
     * @param type PEFT's {@code combination_type}
     * @return a builder
     */
    public static Builder builder(CombinationType type) {
        return new Builder(type);
    }

    /**
     * @return the combination type
     */
    public CombinationType type() {
        return type;
    }

    /**
     * Combines the adapters of one layer.
     *
     * @param layerName the layer's path (seeds DARE masks)
     * @param adapters one entry per weight; all adapt a weight of the same {@code [out, in]}
     * @return the new factors, scaling 1, in the first adapter's manager
     */
    public LoraFactors combine(String layerName, List<LoraFactors> adapters) {
        if (adapters == null || adapters.isEmpty()) {
            throw new IllegalArgumentException("adapters must hold at least one adapter");
        }
        if (adapters.size() != weights.size()) {
            throw new IllegalArgumentException(
                    "weights has " + weights.size() + " values but " + adapters.size() + " adapters were given");
        }
        CombinationType effective = adapters.size() == 1 ? CombinationType.LINEAR : type;
        int rank = svdRank > 0 ? svdRank : adapters.stream().mapToInt(LoraFactors::rank).max().getAsInt();
        return combineAs(effective, layerName, adapters, weights, rank);
    }

    /**
     * Adds to {@code model} a new LoRA adapter that combines existing ones, as PEFT's {@code
     * LoraModel.add_weighted_adapter(adapters, weights, adapter_name, combination_type, svd_rank,
     * svd_clamp, density=..., majority_sign_method=...)} does, with this combination's type and
     * settings (peft-semantics.md 7.1). The new adapter is an ordinary {@code LORA} adapter: it is
     * added inactive and frozen, like any {@link PeftModel#addAdapter}, activated with {@link
     * PeftModel#setActiveAdapters}, saved with {@link PeftModel#save} and loaded back with {@link
     * PeftModel#loadAdapter}.
     *
     * <p>Its config is the first source's with {@code r = lora_alpha = } the new rank (scaling 1:
     * every {@code w_i s_i} is baked into the factors), {@code use_rslora} false, no {@code
     * rank_pattern} / {@code alpha_pattern}, and {@code target_modules} the union of the sources'.
     * The new rank is {@code sum r_i} for {@code cat}, {@code svdRank} (default {@code max r_i}) for
     * the SVD types, and the common {@code r} for {@code linear}, {@code ties}, {@code dare_*} and
     * {@code magnitude_prune}; a source's {@code r} counts as {@code max(r, rank_pattern values)}, as
     * in PEFT. With one source the type is {@code linear}, as in PEFT.
     *
     * <p>Layer by layer the new factors follow {@link #combine}'s math over the sources present on
     * that layer, with their weights (PEFT skips absent ones and does not renormalise), but with the
     * model-wide type and rank: a layer that only one source adapts keeps the type, as in PEFT,
     * rather than falling back to {@code linear}. Ranks below the
     * new rank (a {@code cat} layer missing a source, a {@code rank_pattern} layer) are padded with
     * zero rows of {@code A} and zero columns of {@code B}, which leaves {@code B A} unchanged. A
     * layer that the union selects but no source adapts is an error, as in PEFT.
     *
     * <p>{@code modules_to_save}: like PEFT this refuses sources that hold copies of the same module;
     * the new adapter gets its own copy of the <em>original</em> module (PEFT's {@code
     * ModulesToSaveWrapper.update}) when the first source lists one, so a trained copy of a source
     * is not carried over.
     *
     * <p>Differences from PEFT: an existing {@code newName} is an error (PEFT returns silently);
     * sources with {@code lora_bias} are refused (PEFT would leave the new {@code lora_B.bias} at
     * zero and so drop their trained biases); {@code init_lora_weights} of the new config is {@code
     * true}.
     *
     * @param model the model holding the sources; it gains the adapter {@code newName}
     * @param adapterNames the source adapters, one per weight of this combination (a name may repeat)
     * @param newName the new adapter's name (letters, digits, '_' and '-'; not yet used)
     * @return the new adapter's config, as {@code model.config(newName)} returns it
     * @throws PeftException if an adapter does not exist or is not a {@code LORA} adapter, if
     *     {@code newName} is taken or invalid, if sources share a {@code modules_to_save} module or
     *     have {@code lora_bias}, or if a selected layer has no source; every check runs before the
     *     model is changed, so the model is then exactly as it was
     * @throws IllegalArgumentException if the weights do not match the adapters, if ranks differ
     *     with {@code linear}/{@code ties}/{@code dare_*}/{@code magnitude_prune} (PEFT's message),
     *     or if the SVD rank exceeds {@code min(out, in)} of a layer
     */
    public LoraConfig addWeightedAdapter(PeftModel model, List<String> adapterNames, String newName) {
        if (model == null) {
            throw new IllegalArgumentException("model must not be null");
        }
        if (adapterNames == null || adapterNames.isEmpty()) {
            throw new IllegalArgumentException("adapterNames must name at least one adapter");
        }
        if (adapterNames.size() != weights.size()) {
            throw new IllegalArgumentException(
                    "weights has " + weights.size() + " values but " + adapterNames.size() + " adapters were named: "
                            + adapterNames);
        }
        if (model.configs().containsKey(newName)) {
            throw new PeftException("Adapter with name '" + newName + "' already exists.");
        }
        List<LoraConfig> sources = new ArrayList<>();
        for (String name : adapterNames) {
            sources.add(loraSource(model, name));
        }
        requireSeparateModulesToSave(model, adapterNames);
        CombinationType effective = adapterNames.size() == 1 ? CombinationType.LINEAR : type;
        int newRank = CombinedAdapterConfig.newRank(effective, sources, svdRank);
        LoraConfig config = CombinedAdapterConfig.of(sources, newRank);
        // Every check and every layer's factors come before the model is touched, so a refusal leaves
        // it exactly as it was (wrapping a layer or deleting an adapter cannot be fully undone: hosts
        // stay, and PeftModel.deleteAdapter re-activates, which unmerges).
        List<NDManager> scratches = new ArrayList<>();
        try {
            Map<String, LoraFactors> layers = new LinkedHashMap<>();
            for (AdapterHost host : model.hosts()) {
                LoraFactors combined = combineLayer(host, adapterNames, effective, newRank, scratches);
                if (combined != null) {
                    layers.put(host.path(), combined);
                }
            }
            requireASourceOnEverySelectedLayer(model, config, layers.keySet(), adapterNames);
            model.addAdapter(newName, config);
            try {
                for (AdapterHost host : model.hosts()) {
                    Adapter target = host.adapter(newName);
                    if (target != null) {
                        Map<String, Parameter> state = target.stateTensors();
                        LoraFactors combined = layers.get(host.path());
                        DenseWeights.assign(state.get("lora_A.weight").getArray(), combined.a());
                        DenseWeights.assign(state.get("lora_B.weight").getArray(), combined.b());
                    }
                }
            } catch (RuntimeException | Error e) {
                // not expected after the checks above; leave no half-written adapter behind
                try {
                    model.deleteAdapter(newName);
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        } finally {
            scratches.forEach(NDManager::close);
        }
        return config;
    }

    private static LoraConfig loraSource(PeftModel model, String name) {
        PeftConfig config = model.configs().get(name);
        if (config == null) {
            throw new PeftException("Adapter " + name + " does not exist; adapters: " + model.configs().keySet());
        }
        if (!(config instanceof LoraConfig)) {
            throw new PeftException("Adapter " + name + " is a " + config.peftType() + " adapter ("
                    + config.getClass().getSimpleName() + "); add_weighted_adapter combines " + LoraConfig.PEFT_TYPE
                    + " adapters only");
        }
        LoraConfig lora = (LoraConfig) config;
        if (lora.loraBias()) {
            throw new PeftException("Adapter " + name + " has lora_bias = true; add_weighted_adapter combines lora_A and"
                    + " lora_B only and would drop its trained lora_B.bias (allowed: lora_bias false)");
        }
        return lora;
    }

    // PEFT: "Cannot add weighted adapters if they target the same module with modules_to_save"
    private static void requireSeparateModulesToSave(PeftModel model, List<String> adapterNames) {
        List<String> shared = new ArrayList<>();
        for (ModulesToSaveHost host : model.saveHosts()) {
            long holders = adapterNames.stream().filter(host.copies()::containsKey).count();
            if (holders > 1) {
                shared.add(host.path());
            }
        }
        if (!shared.isEmpty()) {
            throw new PeftException("Cannot add weighted adapters if they target the same module with modules_to_save,"
                    + " but found " + shared.size() + " such instance(s): " + shared + " (adapters " + adapterNames + ")");
        }
    }

    /**
     * The combined factors of one layer, padded to the new rank, in a scratch manager added to
     * {@code scratches}; {@code null} when no source adapts the layer.
     */
    private LoraFactors combineLayer(
            AdapterHost host, List<String> adapterNames, CombinationType effective, int newRank, List<NDManager> scratches) {
        List<LoraAdapter> present = new ArrayList<>();
        List<Double> presentWeights = new ArrayList<>();
        for (int i = 0; i < adapterNames.size(); i++) {
            Adapter source = host.adapter(adapterNames.get(i));
            if (source == null) {
                continue; // PEFT: adapters absent from a layer are skipped there
            }
            if (source instanceof DoraAdapter) {
                throw new PeftException("Adapter " + adapterNames.get(i) + " on layer " + host.path() + " is a DoRA adapter (use_dora);"
                        + " add_weighted_adapter combines lora_A and lora_B only and would drop its magnitude vector, so it combines plain LORA adapters only");
            }
            if (!(source instanceof LoraAdapter)) {
                throw new PeftException("Adapter " + adapterNames.get(i) + " on layer " + host.path() + " is a "
                        + source.peftType() + " adapter; add_weighted_adapter combines LORA adapters only");
            }
            present.add((LoraAdapter) source);
            presentWeights.add(weights.get(i));
        }
        if (present.isEmpty()) {
            return null;
        }
        NDManager scratch = present.get(0).loraA().getArray().getManager().newSubManager();
        scratches.add(scratch);
        List<LoraFactors> factors = new ArrayList<>();
        for (LoraAdapter lora : present) {
            factors.add(new LoraFactors(
                    DenseWeights.copy(lora.loraA().getArray(), scratch), DenseWeights.copy(lora.loraB().getArray(), scratch), lora.scaling()));
        }
        double[] w = presentWeights.stream().mapToDouble(Double::doubleValue).toArray();
        LoraFactors combined = combineAs(effective, host.path(), factors, Weights.of(w), newRank);
        return new LoraFactors(padRank(combined.a(), 0, newRank, scratch), padRank(combined.b(), 1, newRank, scratch), 1.0);
    }

    /**
     * Refuses, before anything is added, a linear layer that the new config's targets select but
     * that no source adapts (PEFT: "No matching LoRAs found"); the selection is {@link
     * PeftModel#addAdapter}'s: linear layers and existing hosts, not inside another host.
     */
    private static void requireASourceOnEverySelectedLayer(
            PeftModel model, LoraConfig config, Set<String> adapted, List<String> adapterNames) {
        List<BlockPaths.Node> nodes = BlockPaths.walk(model.block());
        List<String> hostPaths = new ArrayList<>();
        for (BlockPaths.Node n : nodes) {
            if (n.block() instanceof AdapterHost || n.block() instanceof ModulesToSaveHost) {
                hostPaths.add(n.path());
            }
        }
        for (BlockPaths.Node n : nodes) {
            String path = n.path();
            if (path.isEmpty() || adapted.contains(path) || hostPaths.stream().anyMatch(h -> path.startsWith(h + "."))) {
                continue;
            }
            boolean linear = n.block() instanceof AdapterHost || LinearLayers.isLinear(n.block());
            if (linear && TargetMatcher.decide(config.targets(), path, true) == TargetMatcher.Decision.TARGETED) {
                throw new PeftException("Layer " + path + " is selected by the combined target_modules but none of "
                        + adapterNames + " adapts it (PEFT: \"No matching LoRAs found\"); give the sources target_modules,"
                        + " exclude_modules and layers_to_transform that cover the same layers");
            }
        }
    }

    // zero rows of A ([r, in], axis 0) or zero columns of B ([out, r], axis 1) up to the new rank: B A is unchanged
    private static NDArray padRank(NDArray factor, int axis, int rank, NDManager scratch) {
        long have = factor.getShape().get(axis);
        if (have == rank) {
            return factor;
        }
        if (have > rank) {
            throw new IllegalStateException("combined rank " + have + " exceeds the new adapter's rank " + rank);
        }
        long[] dims = factor.getShape().getShape();
        dims[axis] = rank - have;
        NDArray zeros = scratch.zeros(new Shape(dims), factor.getDataType());
        return factor.concat(zeros, axis);
    }

    /**
     * Combines the factors of one layer with a given type, weights and SVD rank: the per-layer step
     * of both {@link #combine} and {@link #addWeightedAdapter}, which fixes the type and the SVD rank
     * for the whole model before it visits the layers.
     */
    LoraFactors combineAs(
            CombinationType effective, String layerName, List<LoraFactors> adapters, Weights w, int rank) {
        Shape weightShape = adapters.get(0).weightShape();
        for (int i = 1; i < adapters.size(); i++) {
            if (!adapters.get(i).weightShape().equals(weightShape)) {
                throw new IllegalArgumentException(
                        "adapter " + i + " adapts a " + adapters.get(i).weightShape()
                                + " weight but adapter 0 a " + weightShape + " weight (layer " + layerName + ")");
            }
        }
        NDManager owner = adapters.get(0).a().getManager();
        try (NDManager scratch = owner.newSubManager()) {
            NDArray[] ab;
            switch (effective.family()) {
                case CAT:
                    ab = concatenate(adapters, w, scratch);
                    break;
                case FACTORS:
                    ab = mergeFactors(effective, layerName, adapters, w, scratch);
                    break;
                case SVD:
                    ab = mergeAndFactorise(effective, layerName, adapters, w, rank, scratch);
                    break;
                default:
                    throw new IllegalStateException("unknown family " + effective.family());
            }
            ab[0].attach(owner);
            ab[1].attach(owner);
            return new LoraFactors(ab[0], ab[1], 1.0);
        }
    }

    private NDArray[] concatenate(List<LoraFactors> adapters, Weights w, NDManager scratch) {
        NDList as = new NDList();
        NDList bs = new NDList();
        for (int i = 0; i < adapters.size(); i++) {
            LoraFactors f = adapters.get(i);
            NDArray a = copyInto(f.a(), scratch);
            as.add(a.muli(w.get(i) * f.scaling()));
            bs.add(copyInto(f.b(), scratch));
        }
        return new NDArray[] {NDArrays.concat(as, 0), NDArrays.concat(bs, 1)};
    }

    private NDArray[] mergeFactors(
            CombinationType effective,
            String layerName,
            List<LoraFactors> adapters,
            Weights w,
            NDManager scratch) {
        int r = adapters.get(0).rank();
        for (LoraFactors f : adapters) {
            if (f.rank() != r) {
                throw new IllegalArgumentException(UNEQUAL_RANKS + " (layer " + layerName + ")");
            }
        }
        double[] wa = new double[adapters.size()];
        double[] wb = new double[adapters.size()];
        NDList as = new NDList();
        NDList bs = new NDList();
        for (int i = 0; i < adapters.size(); i++) {
            double ws = w.get(i) * adapters.get(i).scaling();
            wa[i] = Math.signum(ws) * Math.sqrt(Math.abs(ws));
            wb[i] = Math.sqrt(Math.abs(ws));
            as.add(copyInto(adapters.get(i).a(), scratch));
            bs.add(copyInto(adapters.get(i).b(), scratch));
        }
        TaskVectorCombiner f = combiner(effective, w);
        NDArray a = f.withWeights(Weights.of(wa)).combineOverwriting(layerName + ".lora_A", NDArrays.stack(as, 0));
        NDArray b = f.withWeights(Weights.of(wb)).combineOverwriting(layerName + ".lora_B", NDArrays.stack(bs, 0));
        return new NDArray[] {a, b};
    }

    private NDArray[] mergeAndFactorise(
            CombinationType effective,
            String layerName,
            List<LoraFactors> adapters,
            Weights w,
            int rank,
            NDManager scratch) {
        NDList deltas = new NDList();
        for (LoraFactors f : adapters) {
            NDArray b = copyInto(f.b(), scratch);
            deltas.add(b.matMul(copyInto(f.a(), scratch)).muli(f.scaling()));
        }
        Shape ws = adapters.get(0).weightShape();
        if (rank > Math.min(ws.get(0), ws.get(1))) {
            throw new IllegalArgumentException(
                    "svdRank " + rank + " exceeds min(out, in) = " + Math.min(ws.get(0), ws.get(1))
                            + " of layer " + layerName + " (weight " + ws + ")");
        }
        NDArray delta = combiner(effective, w).combineOverwriting(layerName, NDArrays.stack(deltas, 0));
        try (SvdResult top = svd.apply(rank).decompose(delta, scratch)) {
            NDArray b = top.u().mul(top.s().reshape(1, rank));
            NDArray a = top.vt().duplicate();
            b.attach(scratch);
            a.attach(scratch);
            if (svdClamp > 0) {
                double hi = quantile(b.flatten().concat(a.flatten()), svdClamp);
                b = b.clip(-hi, hi);
                a = a.clip(-hi, hi);
            }
            return new NDArray[] {a, b};
        }
    }

    // torch.quantile with linear interpolation between the two nearest order statistics
    private static double quantile(NDArray values, double q) {
        NDArray sorted = values.sort();
        long n = sorted.size();
        double pos = q * (n - 1);
        long lo = (long) Math.floor(pos);
        long hi = Math.min(lo + 1, n - 1);
        double vLo = sorted.getFloat(lo);
        double vHi = sorted.getFloat(hi);
        return vLo + (vHi - vLo) * (pos - lo);
    }

    private TaskVectorCombiner combiner(CombinationType effective, Weights weights) {
        switch (effective) {
            case LINEAR:
            case SVD:
                return new TaskArithmetic(weights, false);
            case TIES:
            case TIES_SVD:
                return new Ties(weights, density, majoritySign, TiesVariant.PEFT);
            case DARE_LINEAR:
            case DARE_LINEAR_SVD:
                return new Dare(
                        weights, density, DareRescale.INVERSE_DENSITY, MaskSource.seeded(seed), null, TiesVariant.PEFT);
            case DARE_TIES:
            case DARE_TIES_SVD:
                return new Dare(
                        weights,
                        density,
                        DareRescale.INVERSE_DENSITY,
                        MaskSource.seeded(seed),
                        majoritySign,
                        TiesVariant.PEFT);
            case MAGNITUDE_PRUNE:
            case MAGNITUDE_PRUNE_SVD:
                return new MagnitudePrune(weights, density);
            default:
                throw new IllegalStateException("no task combiner for " + effective);
        }
    }

    private static NDArray copyInto(NDArray source, NDManager scratch) {
        NDArray copy = source.duplicate();
        copy.attach(scratch);
        return copy;
    }

    private static boolean needsDensity(CombinationType type) {
        return type != CombinationType.CAT && type != CombinationType.LINEAR && type != CombinationType.SVD;
    }

    /** Builds an {@link AdapterCombination}; {@link #weights} is required. */
    public static final class Builder {

        private final CombinationType type;
        private Weights weights;
        private double density = Double.NaN;
        private SignElection majoritySign = SignElection.TOTAL;
        private long seed;
        private int svdRank;
        private double svdClamp;
        private IntFunction<Svd> svd = Svd::truncated;

        private Builder(CombinationType type) {
            if (type == null) {
                throw new IllegalArgumentException("combination type must not be null");
            }
            this.type = type;
        }

        /**
         * @param values one weight per adapter (PEFT {@code weights})
         * @return this builder
         */
        public Builder weights(double... values) {
            this.weights = Weights.of(values);
            return this;
        }

        /**
         * @param value fraction kept by ties / dare / magnitude_prune types, in (0, 1]
         * @return this builder
         */
        public Builder density(double value) {
            this.density = value;
            return this;
        }

        /**
         * @param value PEFT {@code majority_sign_method} (default {@code total})
         * @return this builder
         */
        public Builder majoritySign(SignElection value) {
            this.majoritySign = value;
            return this;
        }

        /**
         * @param value seed of the DARE masks (default 0)
         * @return this builder
         */
        public Builder seed(long value) {
            this.seed = value;
            return this;
        }

        /**
         * @param value rank of the SVD types (PEFT {@code svd_rank}; default {@code max r_i})
         * @return this builder
         */
        public Builder svdRank(int value) {
            this.svdRank = value;
            return this;
        }

        /**
         * @param value quantile in (0, 1) to clamp the SVD factors to (PEFT {@code svd_clamp}; default
         *     none)
         * @return this builder
         */
        public Builder svdClamp(double value) {
            this.svdClamp = value;
            return this;
        }

        /**
         * @param value the SVD algorithm for a given rank (default {@link Svd#truncated}, the exact
         *     top-k SVD by LAPACK {@code sgesvdx}, as PEFT's {@code torch.linalg.svd} is exact; {@code k
         *     -> Svd.randomized(k, 10, 4, seed)} runs its matmuls on the GPU)
         * @return this builder
         */
        public Builder svd(IntFunction<Svd> value) {
            this.svd = value;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the combination
         * @throws IllegalArgumentException naming the bad field
         */
        public AdapterCombination build() {
            if (weights == null) {
                throw new IllegalArgumentException("weights must be set, one per adapter");
            }
            if (needsDensity(type)) {
                if (Double.isNaN(density)) {
                    throw new IllegalArgumentException(
                            "density must be set for combination_type " + type.peftName() + " (allowed (0, 1])");
                }
                Density.require(density);
            }
            if (majoritySign == null) {
                throw new IllegalArgumentException("majoritySign must be TOTAL or FREQUENCY, got null");
            }
            if (svdRank < 0) {
                throw new IllegalArgumentException("svdRank must be >= 1 (or unset for max r_i), got " + svdRank);
            }
            if (!(svdClamp == 0.0 || (svdClamp > 0.0 && svdClamp < 1.0))) {
                throw new IllegalArgumentException("svdClamp must be in (0, 1) (or unset), got " + svdClamp);
            }
            if (svd == null) {
                throw new IllegalArgumentException("svd must not be null");
            }
            return new AdapterCombination(this);
        }
    }
}

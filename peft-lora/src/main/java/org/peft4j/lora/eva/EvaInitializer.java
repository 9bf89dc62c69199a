package org.peft4j.lora.eva;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;
import ai.djl.training.util.ProgressBar;
import ai.djl.util.Progress;

import org.peft4j.core.NoTargetMatchedException;
import org.peft4j.core.PeftException;
import org.peft4j.core.PeftModel;
import org.peft4j.core.adapter.AdapterHost;
import org.peft4j.core.adapter.ModulesToSaveHost;
import org.peft4j.core.match.TargetMatcher;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.core.nn.LinearLayers;
import org.peft4j.lora.LoraConfig;
import org.peft4j.lora.LoraInit;
import org.peft4j.lora.linalg.Svd;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * EVA, Explained Variance Adaptation (Paischer et al. 2024, arXiv:2410.07170), with the semantics of
 * PEFT's {@code get_eva_state_dict} / {@code initialize_lora_eva_weights} ({@code
 * peft/tuners/lora/eva.py}): each target layer's {@code lora_A} starts as the top principal directions
 * of the inputs the layer receives on training data, {@code lora_B} at zero (the model's output is
 * unchanged), and the ranks are redistributed across layers by explained variance.
 *
 * <ol>
 *   <li>One forward pass finds layers that receive the same input (a transformer's query, key and
 *       value); one incremental PCA serves each such group.
 *   <li>The batches are cycled, in inference mode. Each forward pass feeds every layer's inputs
 *       (the token positions the mask keeps, flattened to rows) to its {@link IncrementalPca} of
 *       {@code round(r·rho)} components. A component has converged when its cosine similarity with
 *       its value one pass earlier is {@code >= tau}.
 *   <li>After each pass the rank budget {@code Σ r} goes to the largest explained-variance ratios
 *       over all layers (each layer at most {@code round(r·rho)}); a layer whose assigned components
 *       have all converged stops receiving inputs, and starts again if its assignment grows.
 *   <li>When every layer has converged, layer {@code l} gets rank {@code r_l} and {@code lora_A =}
 *       its first {@code r_l} components (divided by the square root of their singular values with
 *       {@code whiten}); a layer with rank 0 gets no adapter. With {@code adjust_scaling_factors},
 *       {@code alpha} is multiplied by {@code r_l / r} so the scaling stays. The config written with
 *       the adapter holds the new {@code target_modules}, {@code rank_pattern} and {@code
 *       alpha_pattern}, so the folder loads in PEFT as it loads here.
 * </ol>
 *
 * <pre>{@code
 * LoraConfig config = LoraConfig.builder().r(8).loraAlpha(16).targetModules("query", "key", "value", "dense")
 *         .initLoraWeights(LoraInit.EVA).evaConfig(EvaConfig.defaults()).modulesToSave("classifier").build();
 * PeftModel peft = EvaInitializer.wrap(model, config, trainingBatches);   // batches are cycled until converged
 * }</pre>
 *
 * <p>Where this differs from PEFT: ties among equal explained-variance ratios (layers that share an
 * input) are broken by model order, where PEFT's unstable {@code argsort} may permute them; the SVD of
 * each step is float32 (PEFT's is float64 from the second batch on); the number of forward passes is
 * capped ({@link Options#maxForwardPasses()}) where PEFT cycles forever; {@code target_modules} is
 * written as the list of adapted paths, not PEFT's shortest equivalent suffixes. The label mask reads
 * {@link Batch#getLabels()} when it is one array of the token mask's {@code [B, T]} shape.
 */
public final class EvaInitializer {

    private static final Logger LOG = LoggerFactory.getLogger(EvaInitializer.class);
    private static final String RECORDER = "eva_input_recorder";

    private EvaInitializer() {}

    /**
     * How the data pass runs.
     *
     * @param tokenMask for a batch, a {@code [B, T]} array, non-zero at the token positions whose
     *     layer inputs count, or null for every row; see {@link #attentionMaskOrAll()}
     * @param svd the SVD of each incremental step, by number of components
     * @param maxForwardPasses the most forward passes before giving up, {@code >= 1}
     * @param progress where progress goes, or null for none
     */
    public record Options(Function<Batch, NDArray> tokenMask, IntFunction<Svd> svd, int maxForwardPasses, Progress progress) {

        /** Validates. */
        public Options {
            Objects.requireNonNull(tokenMask, "tokenMask: give a function; one returning null keeps every row");
            Objects.requireNonNull(svd, "svd");
            if (maxForwardPasses < 1) {
                throw new IllegalArgumentException("maxForwardPasses: must be >= 1, got " + maxForwardPasses);
            }
        }

        /**
         * The defaults: {@link #attentionMaskOrAll()}, PEFT's {@code svd_lowrank(q = 2k, niter = 4)}
         * reseeded with 42 ({@code Svd.randomized(k, k, 4, 42)}), at most 5,000 forward passes, a
         * progress bar on standard output.
         *
         * @return the options
         */
        public static Options defaults() {
            return new Options(attentionMaskOrAll(), k -> Svd.randomized(k, k, 4, 42L), 5000, new ProgressBar());
        }

        /**
         * Returns a copy with another token mask.
         *
         * @param mask see {@link Options}
         * @return the copy
         */
        public Options withTokenMask(Function<Batch, NDArray> mask) {
            return new Options(mask, svd, maxForwardPasses, progress);
        }

        /**
         * Returns a copy with another SVD, e.g. {@code Svd::truncated} for exact triplets.
         *
         * @param algorithm by number of components
         * @return the copy
         */
        public Options withSvd(IntFunction<Svd> algorithm) {
            return new Options(tokenMask, algorithm, maxForwardPasses, progress);
        }

        /**
         * Returns a copy with another cap on forward passes.
         *
         * @param max the cap, {@code >= 1}
         * @return the copy
         */
        public Options withMaxForwardPasses(int max) {
            return new Options(tokenMask, svd, max, progress);
        }

        /**
         * Returns a copy reporting to {@code p} (null: silent).
         *
         * @param p the progress
         * @return the copy
         */
        public Options withProgress(Progress p) {
            return new Options(tokenMask, svd, maxForwardPasses, p);
        }
    }

    /**
     * PEFT's default row selection for peft4j's models: when a batch's data holds at least two arrays
     * and the second has the first's 2-D {@code [B, T]} shape, it is the attention mask (peft4j's BERT
     * and Llama take {@code input_ids, attention_mask, ...}) and padding positions are left out;
     * otherwise every row counts.
     *
     * @return the mask function
     */
    public static Function<Batch, NDArray> attentionMaskOrAll() {
        return batch -> {
            NDList data = batch.getData();
            if (data.size() >= 2 && data.get(0).getShape().dimension() == 2 && data.get(1).getShape().equals(data.get(0).getShape())) {
                return data.get(1);
            }
            return null;
        };
    }

    /**
     * Runs EVA's data pass and wraps {@code model} with the adapter it initialises, named {@code
     * default}, with a progress bar.
     *
     * @param model the base model, weights loaded, holding no adapters
     * @param config a LoRA config with {@code init_lora_weights = "eva"}
     * @param batches training batches, cycled until the components converge, so they must iterate
     *     again; {@link Batch#getData()} is the model's input; each batch taken is closed
     * @return the wrapped model, its adapter active and trainable
     */
    public static PeftModel wrap(Block model, LoraConfig config, Iterable<Batch> batches) {
        return wrap(model, PeftModel.DEFAULT_ADAPTER, config, batches, Options.defaults());
    }

    /**
     * Runs EVA's data pass and wraps {@code model} with the adapter it initialises.
     *
     * @param model the base model, weights loaded, holding no adapters
     * @param adapterName the adapter's name
     * @param config a LoRA config with {@code init_lora_weights = "eva"}
     * @param batches training batches (see {@link #wrap(Block, LoraConfig, Iterable)})
     * @param options how the pass runs
     * @return the wrapped model
     */
    public static PeftModel wrap(Block model, String adapterName, LoraConfig config, Iterable<Batch> batches, Options options) {
        Objects.requireNonNull(config, "config");
        if (config.initLoraWeights() != LoraInit.EVA) {
            throw new IllegalArgumentException("init_lora_weights: EVA initialises adapters whose config says \"eva\", got "
                    + config.initLoraWeights() + "; build the config with initLoraWeights(LoraInit.EVA)");
        }
        EvaResult result = compute(model, config, batches, options);
        return PeftModel.wrap(model, adapterName, config.withEvaResult(result));
    }

    /**
     * Runs EVA's data pass only (PEFT's {@code get_eva_state_dict}); the model is left exactly as it
     * was. {@link LoraConfig#withEvaResult} turns the result into the config that creates the adapter.
     *
     * @param model the base model, weights loaded, holding no adapters
     * @param config the LoRA config: targets, {@code r}, {@code rank_pattern}, {@code eva_config}
     *     (PEFT's defaults when absent)
     * @param batches training batches (see {@link #wrap(Block, LoraConfig, Iterable)})
     * @param options how the pass runs
     * @return the ranks and starting {@code lora_A} of every target layer
     * @throws NoTargetMatchedException if no linear layer matches the targets
     * @throws PeftException if the model holds adapters, the batches are empty or cannot be iterated
     *     again, a layer's inputs do not fit the mask, or the components do not converge within the cap
     * @throws IllegalArgumentException if a layer is narrower than {@code round(r·rho)}
     */
    public static EvaResult compute(Block model, LoraConfig config, Iterable<Batch> batches, Options options) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(batches, "batches: EVA needs training batches to compute the principal components of the layer inputs");
        Objects.requireNonNull(options, "options");
        EvaConfig eva = config.evaConfig() != null ? config.evaConfig() : EvaConfig.defaults();
        List<BlockPaths.Node> nodes = BlockPaths.walk(model);
        List<String> hosted = nodes.stream().filter(n -> n.block() instanceof AdapterHost).map(BlockPaths.Node::path).limit(3).toList();
        if (!hosted.isEmpty()) {
            throw new PeftException("EVA computes on the base model, but this model already holds adapters (at " + hosted
                    + "); run EVA on the model before adding adapters");
        }
        NDManager modelManager = managerOf(model);
        List<Site> sites = findSites(nodes, config);
        double rho = eva.rho();
        if (rho > 1000) {
            // PEFT: unusually large rho is capped at (largest parameter dimension) // r
            long maxDim = model.getParameters().values().stream().filter(Parameter::isInitialized)
                    .mapToLong(p -> java.util.Arrays.stream(p.getArray().getShape().getShape()).max().orElse(0)).max().orElse(0);
            rho = Math.min(rho, (double) (maxDim / config.r()));
        }
        Map<String, Integer> maxComponents = new LinkedHashMap<>();
        int budget = 0;
        for (Site s : sites) {
            int layerRank = config.rankFor(s.path);
            maxComponents.put(s.path, (int) Math.rint(layerRank * rho)); // Python's round(): halves to even
            budget += layerRank;
        }
        Progress progress = options.progress();
        try (NDManager work = modelManager.newSubManager()) {
            try {
                for (Site s : sites) {
                    s.insert(model, work);
                }
                ParameterStore ps = new ParameterStore(modelManager, false);
                Map<String, String> equalTo = findEqualInputs(model, ps, sites, batches, options, eva);
                for (Map.Entry<String, String> e : equalTo.entrySet()) { // a group shares its largest max_components
                    int m = Math.max(maxComponents.get(e.getKey()), maxComponents.get(e.getValue()));
                    maxComponents.put(e.getValue(), m);
                }
                for (Map.Entry<String, String> e : equalTo.entrySet()) {
                    maxComponents.put(e.getKey(), maxComponents.get(e.getValue()));
                }
                Map<String, Hook> hooks = new LinkedHashMap<>();
                for (Site s : sites) {
                    if (equalTo.containsKey(s.path)) {
                        s.recorder.setRecording(false);
                        continue;
                    }
                    int k = maxComponents.get(s.path);
                    if (k > s.in) {
                        throw new IllegalArgumentException("eva_config.rho: layer " + s.path + " would need round(r·rho) = " + k
                                + " principal components but its input has only " + s.in + " features; lower rho or the layer's rank");
                    }
                    hooks.put(s.path, new Hook(s, new IncrementalPca(k, options.svd().apply(k), work), k));
                }
                // PEFT's layer_hook_map order: the layers with their own PCA, then the ones sharing an input
                List<String> order = new ArrayList<>(hooks.keySet());
                order.addAll(equalTo.keySet());
                Map<String, String> hookOf = new LinkedHashMap<>();
                hooks.keySet().forEach(h -> hookOf.put(h, h));
                hookOf.putAll(equalTo);
                Map<String, Integer> rankDist = new LinkedHashMap<>(maxComponents);
                int passes = run(model, ps, hooks, hookOf, order, equalTo, rankDist, maxComponents, budget, batches, options, eva, progress);
                List<EvaResult.Layer> layers = new ArrayList<>();
                for (Site s : sites) {
                    Hook h = hooks.get(hookOf.get(s.path));
                    int rank = rankDist.get(s.path);
                    if (!h.convergedUpTo(rank)) {
                        throw new IllegalStateException("EVA: layer " + s.path + " was assigned rank " + rank + " before its components converged");
                    }
                    float[] all = h.pca.components();
                    float[] a = java.util.Arrays.copyOf(all, (int) (rank * s.in));
                    if (eva.whiten()) {
                        float[] sv = h.pca.singularValues();
                        for (int i = 0; i < rank; i++) {
                            float d = (float) Math.sqrt(sv[i]);
                            for (int j = 0; j < s.in; j++) {
                                a[(int) (i * s.in + j)] /= d;
                            }
                        }
                    }
                    double[] ratio = java.util.Arrays.copyOf(h.pca.explainedVarianceRatio(), rank);
                    layers.add(new EvaResult.Layer(s.path, rank, s.in, a, equalTo.get(s.path), ratio));
                }
                return new EvaResult(layers, eva, passes);
            } finally {
                for (Site s : sites) {
                    s.remove(model);
                }
            }
        }
    }

    /** The first pass: which layers receive the same (masked) input as an earlier one. */
    private static Map<String, String> findEqualInputs(Block model, ParameterStore ps, List<Site> sites, Iterable<Batch> batches,
                                                       Options options, EvaConfig eva) {
        Iterator<Batch> it = batches.iterator();
        if (!it.hasNext()) {
            throw new PeftException("batches: no batch was given; EVA computes the principal components of the layer inputs on training data");
        }
        Batch batch = it.next();
        Map<String, String> equalTo = new LinkedHashMap<>();
        try {
            NDArray mask = rowMask(batch, options, eva);
            try (NDList out = model.forward(ps, batch.getData(), false)) {
                List<NDArray> prepared = new ArrayList<>();
                for (Site s : sites) {
                    if (s.recorder.inputs().isEmpty()) {
                        throw new PeftException("EVA: layer " + s.path + " did not run in the model's forward pass; remove it from target_modules");
                    }
                    prepared.add(rows(s, s.recorder.inputs().get(0), mask));
                }
                for (int i = 0; i < sites.size(); i++) {
                    for (int j = 0; j < i; j++) {
                        if (equalTo.containsKey(sites.get(j).path)) {
                            continue; // compare with each group's first layer only
                        }
                        NDArray a = prepared.get(i);
                        NDArray b = prepared.get(j);
                        if (a.getShape().equals(b.getShape()) && a.getDataType() == b.getDataType() && a.contentEquals(b)) {
                            equalTo.put(sites.get(i).path, sites.get(j).path);
                            break;
                        }
                    }
                }
            }
        } finally {
            sites.forEach(s -> s.recorder.release());
            batch.close();
        }
        return equalTo;
    }

    private static int run(Block model, ParameterStore ps, Map<String, Hook> hooks, Map<String, String> hookOf, List<String> order,
                           Map<String, String> equalTo, Map<String, Integer> rankDist, Map<String, Integer> maxComponents, int budget,
                           Iterable<Batch> batches, Options options, EvaConfig eva, Progress progress) {
        Map<String, Boolean> converged = new LinkedHashMap<>();
        hooks.keySet().forEach(h -> converged.put(h, false));
        int layerCount = order.size();
        if (progress != null) {
            progress.reset("EVA", layerCount);
            progress.start(0);
        }
        Iterator<Batch> it = batches.iterator();
        int passes = 0;
        int passesThisCycle = 0;
        try {
            while (true) {
                for (Hook h : hooks.values()) {
                    String name = h.site.path;
                    boolean done = h.convergedUpTo(rankDist.get(name));
                    if (!converged.get(name) && done) {
                        h.site.recorder.setRecording(false); // PEFT removes the hook
                        converged.put(name, true);
                    } else if (converged.get(name) && !done) {
                        h.site.recorder.setRecording(true);
                        converged.put(name, false);
                    }
                }
                long doneLayers = converged.values().stream().filter(b -> b).count()
                        + equalTo.values().stream().filter(converged::get).count();
                if (progress != null) {
                    // DJL's Progress takes the 0-based index of the last item done (-1: none yet); the count is
                    // padded because layers can un-converge and DJL redraws in place (a shorter text leaves a tail)
                    String count = String.format(java.util.Locale.ROOT, "%" + String.valueOf(layerCount).length() + "d", doneLayers);
                    progress.update(doneLayers - 1, count + "/" + layerCount + " layers have converged, " + passes + " passes");
                }
                if (!converged.containsValue(false)) {
                    break;
                }
                if (passes >= options.maxForwardPasses()) {
                    List<String> open = new ArrayList<>();
                    converged.forEach((k, v) -> {
                        if (!v) {
                            open.add(k + " (rank " + rankDist.get(k) + ", lowest similarity " + String.format(java.util.Locale.ROOT, "%.4f", hooks.get(k).lowestSimilarity(rankDist.get(k))) + ")");
                        }
                    });
                    throw new PeftException("EVA: the principal components did not converge (cosine similarity >= tau = " + eva.tau() + ") within "
                            + options.maxForwardPasses() + " forward passes; not converged: " + open
                            + ". Give more or larger batches, lower eva_config.tau, or raise Options.maxForwardPasses");
                }
                if (!it.hasNext()) {
                    if (passesThisCycle == 0 && passes > 0) {
                        throw new PeftException("batches: iterating them again gave no batch; EVA cycles over the batches until the"
                                + " components converge, so give an Iterable that can be iterated more than once (a DJL Dataset's getData(manager) can)");
                    }
                    it = batches.iterator();
                    passesThisCycle = 0;
                    if (!it.hasNext()) {
                        throw new PeftException("batches: iterating them again gave no batch; EVA cycles over the batches until the"
                                + " components converge, so give an Iterable that can be iterated more than once");
                    }
                }
                Batch batch = it.next();
                try {
                    NDArray mask = rowMask(batch, options, eva);
                    try (NDList out = model.forward(ps, batch.getData(), false)) {
                        for (Hook h : hooks.values()) {
                            if (!h.site.recorder.recording()) {
                                continue;
                            }
                            for (NDArray x : h.site.recorder.inputs()) {
                                NDArray rows = rows(h.site, x, mask);
                                if (rows.getShape().get(0) < h.k) {
                                    LOG.info("EVA: skipping the SVD step of {}: {} rows, fewer than its {} components", h.site.path, rows.getShape().get(0), h.k);
                                    continue;
                                }
                                double[] sim = h.pca.partialFit(rows);
                                if (sim != null) {
                                    h.similarity = sim;
                                    for (int i = 0; i < h.k; i++) {
                                        h.converged[i] = sim[i] >= eva.tau();
                                    }
                                }
                            }
                        }
                    }
                } finally {
                    hooks.values().forEach(h -> h.site.recorder.release());
                    batch.close();
                }
                passes++;
                passesThisCycle++;
                if (hooks.values().stream().allMatch(h -> h.pca.fitted())) {
                    Map<String, double[]> ratios = new LinkedHashMap<>();
                    hooks.forEach((k, h) -> ratios.put(k, java.util.Arrays.copyOf(h.pca.explainedVarianceRatio(), maxComponents.get(k))));
                    rankDist.clear();
                    rankDist.putAll(distributeRanks(order, hookOf, ratios, equalTo, budget));
                }
            }
        } finally {
            if (progress != null) {
                progress.end();
            }
        }
        return passes;
    }

    /**
     * PEFT's {@code _get_rank_distribution}: the {@code budget} largest explained-variance ratios over
     * all layers (a layer sharing an input counts its group's ratios), counted per layer; then within
     * each group the layer with the PCA gets the group's largest count.
     *
     * @param order the layers, those with their own PCA first, then those sharing one
     * @param hookOf each layer's PCA layer
     * @param ratios explained-variance ratios by PCA layer, each cut to its max components
     * @param equalTo layer to the PCA layer whose input it shares
     * @param budget the total rank, {@code Σ r}
     * @return rank by layer, in {@code order}
     */
    static Map<String, Integer> distributeRanks(List<String> order, Map<String, String> hookOf, Map<String, double[]> ratios,
                                                Map<String, String> equalTo, int budget) {
        List<String> keys = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        for (String layer : order) {
            for (double v : ratios.get(hookOf.get(layer))) {
                keys.add(layer);
                values.add(v);
            }
        }
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            idx.add(i);
        }
        idx.sort(Comparator.comparingDouble((Integer i) -> values.get(i)).reversed()); // stable: ties keep layer order
        Map<String, Integer> counts = new LinkedHashMap<>();
        order.forEach(l -> counts.put(l, 0));
        for (int i = 0; i < Math.min(budget, idx.size()); i++) {
            counts.merge(keys.get(idx.get(i)), 1, Integer::sum);
        }
        for (Map.Entry<String, String> e : equalTo.entrySet()) {
            int rank = counts.get(e.getKey());
            int rankHook = counts.get(e.getValue());
            if (rankHook >= rank) {
                continue;
            }
            counts.put(e.getValue(), rank);
            counts.put(e.getKey(), rankHook);
        }
        return counts;
    }

    /** The boolean row mask of a batch ([B·T]), or null for every row. */
    private static NDArray rowMask(Batch batch, Options options, EvaConfig eva) {
        NDArray tokens = options.tokenMask().apply(batch);
        NDArray mask = tokens == null ? null : tokens.neq(0);
        NDList labels = batch.getLabels();
        if (eva.useLabelMask() && labels != null && labels.size() == 1) {
            NDArray l = labels.get(0);
            Shape reference = mask != null ? mask.getShape() : null;
            if (l.getShape().dimension() == 2 && (reference == null || l.getShape().equals(reference))) {
                NDArray keep = l.toType(DataType.INT64, false).neq(eva.labelMaskValue());
                mask = mask == null ? keep : mask.logicalAnd(keep);
            }
        }
        return mask == null ? null : mask.reshape(-1);
    }

    /** A layer's input as rows {@code [N, in]}, the mask's rows only. */
    private static NDArray rows(Site s, NDArray x, NDArray mask) {
        Shape shape = x.getShape();
        if (shape.get(shape.dimension() - 1) != s.in) {
            throw new PeftException("EVA: layer " + s.path + " received input of shape " + shape + ", expected last axis " + s.in);
        }
        NDArray flat = x.reshape(-1, s.in);
        if (mask == null) {
            return flat;
        }
        if (mask.getShape().get(0) != flat.getShape().get(0)) {
            throw new PeftException("EVA: the token mask has " + mask.getShape().get(0) + " positions but layer " + s.path + " received "
                    + flat.getShape().get(0) + " rows (input shape " + shape + "); give Options.withTokenMask a mask of the batch's [B, T] token positions,"
                    + " or one returning null to use every row");
        }
        NDArray keep = mask.toDevice(flat.getDevice(), false).nonzero().reshape(-1);
        return flat.get(keep);
    }

    /** One target layer and the temporary host that records its inputs. */
    private static final class Site {
        final String path;
        final Block original;
        final long in;
        final long out;
        AdapterHost host;
        InputRecorder recorder;

        Site(String path, Block original) {
            this.path = path;
            this.original = original;
            this.in = LinearLayers.of(original, path).inFeatures();
            this.out = LinearLayers.of(original, path).outFeatures();
        }

        void insert(Block root, NDManager work) {
            host = new AdapterHost(path, original);
            recorder = new InputRecorder(work, out, in);
            host.addAdapter(RECORDER, recorder);
            host.setActive(List.of(RECORDER));
            BlockPaths.replace(root, path, host);
        }

        void remove(Block root) {
            if (host != null && BlockPaths.get(root, path) == host) {
                BlockPaths.replace(root, path, original);
            }
            if (recorder != null) {
                recorder.release();
            }
        }
    }

    /** One incremental PCA and its convergence flags. */
    private static final class Hook {
        final Site site;
        final IncrementalPca pca;
        final int k;
        final boolean[] converged;
        double[] similarity;

        Hook(Site site, IncrementalPca pca, int k) {
            this.site = site;
            this.pca = pca;
            this.k = k;
            this.converged = new boolean[k];
        }

        boolean convergedUpTo(int rank) {
            for (int i = 0; i < rank; i++) {
                if (!converged[i]) {
                    return false;
                }
            }
            return true;
        }

        double lowestSimilarity(int rank) {
            if (similarity == null) {
                return Double.NaN;
            }
            double low = Double.POSITIVE_INFINITY;
            for (int i = 0; i < Math.min(rank, similarity.length); i++) {
                low = Math.min(low, similarity[i]);
            }
            return low;
        }
    }

    private static List<Site> findSites(List<BlockPaths.Node> nodes, LoraConfig config) {
        List<Site> sites = new ArrayList<>();
        for (BlockPaths.Node n : nodes) {
            String p = n.path();
            if (p.isEmpty() || n.block() instanceof ModulesToSaveHost
                    || config.modulesToSave().stream().anyMatch(m -> p.equals(m) || p.endsWith("." + m))
                    || sites.stream().anyMatch(s -> p.startsWith(s.path + "."))) {
                continue;
            }
            if (LinearLayers.isLinear(n.block()) && TargetMatcher.matches(config.targets(), p, true)) {
                sites.add(new Site(p, n.block()));
            }
        }
        if (sites.isEmpty()) {
            throw new NoTargetMatchedException("target_modules " + config.targets().targetModules()
                    + " matched no linear layer of the model; EVA has nothing to initialise");
        }
        return sites;
    }

    private static NDManager managerOf(Block block) {
        NDManager m = BlockPaths.parameterManager(block);
        if (m == null) {
            throw new PeftException("the model has no initialised parameter: load its weights before running EVA");
        }
        return m;
    }
}

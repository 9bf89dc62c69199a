package org.peft4j.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;

import org.peft4j.core.adapter.Adapter;
import org.peft4j.core.adapter.AdapterHost;
import org.peft4j.core.adapter.AdapterSite;
import org.peft4j.core.adapter.ModulesToSaveHost;
import org.peft4j.core.adapter.PeftMethod;
import org.peft4j.core.adapter.PeftMethods;
import org.peft4j.core.config.BiasMode;
import org.peft4j.core.config.PeftConfig;
import org.peft4j.core.config.TargetModules;
import org.peft4j.core.io.SlowWorkProgress;
import org.peft4j.core.match.TargetMatcher;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.core.nn.LinearLayer;
import org.peft4j.core.nn.LinearLayers;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A base model with adapters: the entry point of peft4j, mirroring PEFT's {@code PeftModel}.
 *
 * <pre>{@code
 * PeftModel peft = PeftModel.wrap(model, LoraConfig.builder().r(8).loraAlpha(16)
 *         .targetModules("query", "value").build());
 * System.out.println(peft.trainableParameters());
 * // train peft.block() with a DJL Trainer or a GradientCollector loop
 * peft.save(Path.of("my-adapter"));
 * }</pre>
 *
 * <p>Wrapping replaces every targeted linear layer of the block tree, in place, by an {@link
 * AdapterHost} and every {@code modules_to_save} module by a {@link ModulesToSaveHost}, then freezes
 * every base parameter: only adapter parameters (and module copies, and biases if {@code bias} says
 * so) receive gradients and optimizer state. Wrap before creating a DJL {@code Trainer}.
 *
 * <p>Not thread-safe for mutation (adding, switching, merging adapters); inference from several
 * threads on a model that is not being mutated is safe.
 */
public final class PeftModel {

    private static final Logger LOG = LoggerFactory.getLogger(PeftModel.class);

    /** The name PEFT gives the first adapter. */
    public static final String DEFAULT_ADAPTER = "default";

    private final Block root;
    private final Map<String, PeftConfig> configs = new LinkedHashMap<>();
    private List<String> active = List.of();
    private boolean disabled;

    private PeftModel(Block root) {
        this.root = root;
    }

    /**
     * Wraps {@code root} with one adapter named {@code "default"}.
     *
     * @param root the base model (its parameters initialised)
     * @param config the adapter config
     * @return the wrapped model
     */
    public static PeftModel wrap(Block root, PeftConfig config) {
        return wrap(root, DEFAULT_ADAPTER, config);
    }

    /**
     * Wraps {@code root} with one adapter.
     *
     * @param root the base model (its parameters initialised)
     * @param adapterName the adapter's name
     * @param config the adapter config
     * @return the wrapped model; the adapter is active
     */
    public static PeftModel wrap(Block root, String adapterName, PeftConfig config) {
        if (!root.isInitialized()) {
            throw new PeftException("the base model is not initialised: load its weights (or initialise it) before wrapping");
        }
        PeftModel m = new PeftModel(root);
        m.addAdapter(adapterName, config);
        m.setActiveAdapters(adapterName);
        return m;
    }

    /**
     * Returns the model's block tree (the same object that was wrapped, now holding adapters).
     *
     * @return the root block
     */
    public Block block() {
        return root;
    }

    /**
     * Returns the configs by adapter name.
     *
     * @return an unmodifiable view
     */
    public Map<String, PeftConfig> configs() {
        return Collections.unmodifiableMap(configs);
    }

    /**
     * Returns the config of one adapter.
     *
     * @param name the adapter
     * @return its config
     */
    public PeftConfig config(String name) {
        requireAdapter(name);
        return configs.get(name);
    }

    /**
     * Returns the active adapters.
     *
     * @return names, in activation order
     */
    public List<String> activeAdapters() {
        return active;
    }

    /**
     * Adds an adapter; it is created inactive and frozen, like PEFT's {@code add_adapter}. On any
     * failure the model is left as it was.
     *
     * @param name the adapter name (one path segment, not yet used)
     * @param config the config
     */
    public void addAdapter(String name, PeftConfig config) {
        if (name == null || !name.matches("[A-Za-z0-9_\\-]+")) {
            throw new PeftException("adapter name '" + name + "' is invalid: use letters, digits, '_' and '-' only"
                    + " (it becomes a folder name and a path segment)");
        }
        if (configs.containsKey(name)) {
            throw new PeftException("Adapter with name '" + name + "' already exists.");
        }
        if (!configs.isEmpty() && !configs.values().iterator().next().peftType().equals(config.peftType())) {
            throw new PeftException("Cannot combine adapters with different peft types: " + configs.values().iterator().next().peftType() + " and " + config.peftType());
        }
        if (config.bias() != BiasMode.NONE && configs.values().stream().anyMatch(c -> c.bias() != BiasMode.NONE)) {
            throw new PeftException("PeftModel supports only 1 adapter with bias. When using multiple adapters, set bias to 'none' for all adapters.");
        }
        PeftMethod method = PeftMethods.forType(config.peftType());
        List<BlockPaths.Node> nodes = BlockPaths.walk(root);
        Set<String> hostPaths = new TreeSet<>();
        for (BlockPaths.Node n : nodes) {
            if (n.block() instanceof AdapterHost || n.block() instanceof ModulesToSaveHost) {
                hostPaths.add(n.path());
            }
        }
        List<BlockPaths.Node> targets = new ArrayList<>();
        List<BlockPaths.Node> saveTargets = new ArrayList<>();
        boolean excludedAny = false;
        for (BlockPaths.Node n : nodes) {
            String p = n.path();
            if (p.isEmpty() || underHost(p, hostPaths)) {
                continue;
            }
            if (n.block() instanceof ModulesToSaveHost || matchesModuleToSave(config, p)) {
                saveTargets.add(n);
                continue;
            }
            boolean linear = n.block() instanceof AdapterHost || LinearLayers.isLinear(n.block());
            TargetMatcher.Decision d = TargetMatcher.decide(config.targets(), p, linear);
            if (d == TargetMatcher.Decision.EXCLUDED) {
                excludedAny = true;
            } else if (d == TargetMatcher.Decision.TARGETED) {
                if (!linear) {
                    if (config.targets().targetModules().kind() == TargetModules.Kind.NAMES && hasLinearBelow(n)) {
                        continue; // a container whose name matches; PEFT would fail on it, we skip it as its linear children decide
                    }
                    throw new PeftException("Target module '" + p + "' (" + n.block().getClass().getSimpleName()
                            + ") is not supported. Currently, only linear layers (DenseLinear, ai.djl.nn.core.Linear, quantized linears) are supported.");
                }
                targets.add(n);
            }
        }
        if (targets.isEmpty()) {
            if (excludedAny) {
                throw new NoTargetMatchedException("All modules were excluded. This is likely unintended. Check your `target_modules`, `exclude_modules` and `modules_to_save` configuration.");
            }
            List<String> linears = nodes.stream().filter(n -> LinearLayers.isLinear(n.block()) || n.block() instanceof AdapterHost)
                    .map(BlockPaths.Node::path).limit(8).collect(Collectors.toList());
            String layers = config.targets().layersToTransform() == null ? "" : " (with layers_to_transform=" + config.targets().layersToTransform()
                    + (config.targets().layersPattern() == null ? "" : ", layers_pattern=" + config.targets().layersPattern()) + ")";
            throw new NoTargetMatchedException("Target modules " + config.targets().targetModules() + " not found in the base model" + layers
                    + ". Please check the target modules and try again. Some linear layers of this model: " + linears);
        }
        // create everything first, then mutate the tree: a failure leaves the model untouched
        Map<BlockPaths.Node, Adapter> created = new LinkedHashMap<>();
        SlowWorkProgress progress = SlowWorkProgress.console("adapters", "layers", targets.size());
        try {
            for (BlockPaths.Node n : targets) {
                AdapterHost existing = n.block() instanceof AdapterHost ? (AdapterHost) n.block() : null;
                LinearLayer base = existing != null ? existing.base() : LinearLayers.of(n.block(), n.path());
                NDManager manager = managerOf(existing != null ? existing.baseBlock() : n.block());
                created.put(n, method.createAdapter(config, new AdapterSite(n.path(), name, base, manager)));
                progress.done(created.size());
            }
        } catch (RuntimeException e) {
            created.values().forEach(a -> a.getParameters().values().forEach(Parameter::close));
            throw e;
        }
        for (Map.Entry<BlockPaths.Node, Adapter> e : created.entrySet()) {
            BlockPaths.Node n = e.getKey();
            AdapterHost host;
            if (n.block() instanceof AdapterHost) {
                host = (AdapterHost) n.block();
            } else {
                host = new AdapterHost(n.path(), n.block());
                BlockPaths.replace(root, n.path(), host);
            }
            host.addAdapter(name, e.getValue());
            host.setActive(active);
        }
        for (BlockPaths.Node n : saveTargets) {
            ModulesToSaveHost host;
            if (n.block() instanceof ModulesToSaveHost) {
                host = (ModulesToSaveHost) n.block();
            } else {
                host = new ModulesToSaveHost(n.path(), n.block());
                BlockPaths.replace(root, n.path(), host);
            }
            if (config.modulesToSave().stream().anyMatch(m -> n.path().equals(m) || n.path().endsWith("." + m))) {
                host.addCopy(name, managerOf(host.original()));
                host.setActive(active);
            }
        }
        configs.put(name, config);
        refreshTrainable();
        if (config.targets().excludeModules() != null && !excludedAny) {
            LOG.warn("exclude_modules {} excluded nothing", config.targets().excludeModules());
        }
    }

    private static boolean hasLinearBelow(BlockPaths.Node n) {
        return BlockPaths.walk(n.block()).stream().anyMatch(c -> LinearLayers.isLinear(c.block()));
    }

    private static boolean matchesModuleToSave(PeftConfig config, String path) {
        for (String m : config.modulesToSave()) {
            if (path.equals(m) || path.endsWith("." + m)) {
                return true;
            }
        }
        return false;
    }

    private static boolean underHost(String path, Set<String> hostPaths) {
        for (String h : hostPaths) {
            if (path.startsWith(h + ".")) {
                return true;
            }
        }
        return false;
    }

    private NDManager managerOf(Block block) {
        NDManager m = BlockPaths.parameterManager(block);
        if (m == null) {
            m = BlockPaths.parameterManager(root);
        }
        if (m != null) {
            return m;
        }
        throw new PeftException("the model has no initialised parameter to take a device and manager from");
    }

    /**
     * Deletes an adapter from every layer, like PEFT's {@code delete_adapter}. The remaining active
     * adapters stay active; if none remain, the first remaining adapter by name becomes active.
     *
     * @param name the adapter
     */
    public void deleteAdapter(String name) {
        if (!configs.containsKey(name)) {
            throw new PeftException("Adapter " + name + " does not exist");
        }
        if (hosts().stream().anyMatch(h -> h.merged().contains(name))) {
            throw new PeftException("Cannot delete adapter(s) [" + name + "] while they are merged. Please unmerge them first.");
        }
        for (AdapterHost h : hosts()) {
            h.removeAdapter(name);
        }
        for (ModulesToSaveHost h : saveHosts()) {
            h.removeCopy(name);
        }
        configs.remove(name);
        List<String> act = new ArrayList<>(active);
        act.remove(name);
        if (act.isEmpty() && !configs.isEmpty()) {
            String next = new TreeSet<>(configs.keySet()).first();
            LOG.warn("Adapter {} was active, which is now deleted. Setting active adapter to {}.", name, next);
            act.add(next);
        }
        setActiveAdapters(act.toArray(new String[0]));
    }

    /**
     * Sets the active adapters; with several, their updates are summed. Merged layers are unmerged
     * first, as in PEFT.
     *
     * @param names adapter names
     */
    public void setActiveAdapters(String... names) {
        for (String n : names) {
            requireAdapter(n);
        }
        if (hosts().stream().anyMatch(h -> !h.merged().isEmpty())) {
            LOG.warn("Adapter cannot be set when the model is merged. Unmerging the model first.");
            unmerge();
        }
        active = List.of(names);
        for (AdapterHost h : hosts()) {
            h.setActive(active);
        }
        for (ModulesToSaveHost h : saveHosts()) {
            h.setActive(active);
        }
        refreshTrainable();
    }

    /**
     * Runs each sample of a batch with its own adapter until the returned scope is closed (PEFT's
     * mixed-adapter batches, {@code model(**x, adapter_names=[...])}): {@code names[i]} is the adapter
     * of the i-th sample along the first axis of every adapted layer's input, {@code "__base__"} for
     * the base model. Each layer gathers the rows of every adapter, adds that adapter's update (or runs
     * that adapter's {@code modules_to_save} copy) and puts the rows back in order, so every sample gets
     * what a forward pass with only its adapter active gives. Inference only; one batch shape at a time.
     *
     * <pre>{@code
     * try (PeftModel.MixedAdapterBatch mixed = peft.mixedAdapterBatch("__base__", "spam", "sentiment")) {
     *     NDList logits = peft.block().forward(ps, threeSamples, false);
     * }
     * }</pre>
     *
     * @param names the adapter of every sample
     * @return the scope; closing it restores the active adapters
     * @throws PeftException for an unknown name ({@code "Trying to infer with non-existing adapter(s): ..."}),
     *     merged adapters, or a DoRA adapter among the names, as PEFT; a batch of another length or a
     *     training pass fails in the forward pass
     */
    public MixedAdapterBatch mixedAdapterBatch(String... names) {
        java.util.Set<String> unknown = new java.util.TreeSet<>();
        for (String n : names) {
            if (!n.equals("__base__") && !configs.containsKey(n)) {
                unknown.add(n);
            }
        }
        if (!unknown.isEmpty()) {
            throw new PeftException("Trying to infer with non-existing adapter(s): " + String.join(", ", unknown)
                    + " (adapters: " + configs.keySet() + ", or \"__base__\" for none)");
        }
        if (hosts().stream().anyMatch(h -> !h.merged().isEmpty())) {
            throw new PeftException("Cannot pass `adapter_names` when there are merged adapters, please call `unmerge_adapter` first.");
        }
        for (AdapterHost h : hosts()) {
            for (String n : names) {
                if (h.adapter(n) instanceof org.peft4j.core.adapter.BaseDependentAdapter) {
                    throw new PeftException("Cannot pass `adapter_names` when DoRA is enabled (adapter " + n + " at " + h.path() + ")");
                }
            }
        }
        List<String> list = List.of(names);
        hosts().forEach(h -> h.setSampleAdapters(list));
        saveHosts().forEach(h -> h.setSampleAdapters(list));
        return new MixedAdapterBatch();
    }

    /** A try-with-resources scope in which every sample runs with its own adapter. */
    public final class MixedAdapterBatch implements AutoCloseable {
        private boolean open = true;

        private MixedAdapterBatch() {}

        /** Goes back to the active adapters. */
        @Override
        public void close() {
            if (open) {
                open = false;
                hosts().forEach(h -> h.setSampleAdapters(null));
                saveHosts().forEach(h -> h.setSampleAdapters(null));
            }
        }
    }

    /**
     * Disables every adapter until the returned scope is closed: the model then computes exactly the
     * base model (merged adapters are unmerged first).
     *
     * <pre>{@code
     * try (PeftModel.DisabledAdapters off = peft.disableAdapters()) {
     *     NDList base = predictor.predict(input);
     * }
     * }</pre>
     *
     * @return the scope
     */
    public DisabledAdapters disableAdapters() {
        setDisabled(true);
        return new DisabledAdapters();
    }

    /** A try-with-resources scope in which adapters are disabled. */
    public final class DisabledAdapters implements AutoCloseable {
        private boolean open = true;

        private DisabledAdapters() {}

        /** Re-enables the adapters. */
        @Override
        public void close() {
            if (open) {
                open = false;
                setDisabled(false);
            }
        }
    }

    private void setDisabled(boolean d) {
        disabled = d;
        for (AdapterHost h : hosts()) {
            h.setDisabled(d);
        }
        for (ModulesToSaveHost h : saveHosts()) {
            h.setDisabled(d);
        }
    }

    /**
     * Returns whether adapters are disabled.
     *
     * @return disabled
     */
    public boolean adaptersDisabled() {
        return disabled;
    }

    /**
     * Merges the active adapters into the frozen weights ({@code W += ΔW}).
     *
     * @param safe check the merged weights for NaN/Inf and refuse (weights untouched) if any
     */
    public void merge(boolean safe) {
        merge(safe, active.toArray(new String[0]));
    }

    /**
     * Merges the named adapters into the frozen weights, in order. Adapters already merged are
     * skipped with a warning.
     *
     * @param safe check for NaN/Inf before writing
     * @param names the adapters
     */
    public void merge(boolean safe, String... names) {
        for (String n : names) {
            requireAdapter(n);
        }
        List<String> todo = new ArrayList<>();
        for (String n : names) {
            if (hosts().stream().filter(h -> h.adapter(n) != null).allMatch(h -> h.merged().contains(n))) {
                LOG.warn("Adapter {} is already merged, nothing to do.", n);
            } else {
                todo.add(n);
            }
        }
        if (todo.isEmpty()) {
            LOG.warn("All adapters are already merged, nothing to do.");
            return;
        }
        if (safe) {
            // check every layer before touching any, so a broken adapter leaves all weights as they were
            for (AdapterHost h : hosts()) {
                for (String n : todo) {
                    Adapter a = h.adapter(n);
                    if (a != null && !h.merged().contains(n)) {
                        try (NDManager scratch = NDManager.newBaseManager(managerOf(h.baseBlock()).getDevice())) {
                            NDArray d = a.deltaWeight(scratch);
                            if (d.isNaN().any().getBoolean() || d.isInfinite().any().getBoolean()) {
                                throw new PeftException("NaNs detected in the merged weights. The adapter " + n + " seems to be broken (layer " + h.path() + ")");
                            }
                        }
                    }
                }
            }
        }
        for (AdapterHost h : hosts()) {
            h.merge(todo, safe);
        }
    }

    /** Unmerges every merged adapter in every layer (last merged first). */
    public void unmerge() {
        for (AdapterHost h : hosts()) {
            h.unmerge();
        }
    }

    /**
     * Returns the adapters merged anywhere in the model.
     *
     * @return names
     */
    public List<String> mergedAdapters() {
        Set<String> s = new TreeSet<>();
        hosts().forEach(h -> s.addAll(h.merged()));
        return new ArrayList<>(s);
    }

    /**
     * Merges the active adapters and removes all adapter machinery: every host is replaced by its
     * base layer, every {@code modules_to_save} module by the active copy. Use the returned block.
     *
     * @param safe check merged weights for NaN/Inf first
     * @return the plain model (the same root object)
     */
    public Block mergeAndUnload(boolean safe) {
        if (!disabled) {
            merge(safe);
        }
        return unloadInternal(true);
    }

    /**
     * Removes all adapter machinery without merging: the base model as it was.
     *
     * @return the plain model
     */
    public Block unload() {
        unmerge();
        return unloadInternal(false);
    }

    private Block unloadInternal(boolean keepCopies) {
        for (AdapterHost h : hosts()) {
            BlockPaths.replace(root, h.path(), h.baseBlock());
        }
        for (ModulesToSaveHost h : saveHosts()) {
            BlockPaths.replace(root, h.path(), keepCopies ? h.current() : h.original());
        }
        configs.clear();
        active = List.of();
        for (Parameter p : root.getParameters().values()) {
            p.freeze(false);
        }
        return root;
    }

    /**
     * Counts trainable and total parameters.
     *
     * @return the summary
     */
    public TrainableSummary trainableParameters() {
        return summarize(root);
    }

    /**
     * Counts trainable and total parameters of any block tree.
     *
     * @param block the tree
     * @return the summary
     */
    public static TrainableSummary summarize(Block block) {
        long trainable = 0;
        long total = 0;
        Set<Parameter> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (BlockPaths.Node n : BlockPaths.walk(block)) {
            boolean denseParams = n.block().getDirectParameters().contains("weight");
            if (n.block() instanceof LinearLayer && !denseParams) {
                LinearLayer l = (LinearLayer) n.block();
                total += l.parameterCount() - (l.bias() == null ? 0 : elementCount(l.bias()));
            }
            for (Parameter p : n.block().getDirectParameters().values()) {
                if (!seen.add(p)) {
                    continue;
                }
                long size = elementCount(p);
                if (n.block() instanceof LinearLayer && !denseParams && p != ((LinearLayer) n.block()).bias()) {
                    continue; // packed storage of a quantized layer: counted logically above
                }
                total += size;
                if (p.requiresGradient()) {
                    trainable += size;
                }
            }
        }
        return new TrainableSummary(trainable, total);
    }

    private static long elementCount(Parameter p) {
        if (p.getShape() != null) {
            return p.getShape().size();
        }
        return p.isInitialized() ? p.getArray().getShape().size() : 0;
    }

    /**
     * Returns every adapter host in the model.
     *
     * @return hosts in tree order
     */
    public List<AdapterHost> hosts() {
        List<AdapterHost> out = new ArrayList<>();
        for (BlockPaths.Node n : BlockPaths.walk(root)) {
            if (n.block() instanceof AdapterHost) {
                out.add((AdapterHost) n.block());
            }
        }
        return out;
    }

    /**
     * Returns every modules_to_save host in the model.
     *
     * @return hosts in tree order
     */
    public List<ModulesToSaveHost> saveHosts() {
        List<ModulesToSaveHost> out = new ArrayList<>();
        for (BlockPaths.Node n : BlockPaths.walk(root)) {
            if (n.block() instanceof ModulesToSaveHost) {
                out.add((ModulesToSaveHost) n.block());
            }
        }
        return out;
    }

    /**
     * Freezes every base parameter and unfreezes what the active adapters train: their adapter
     * parameters, their modules_to_save copies, and biases per the {@code bias} option.
     */
    public void refreshTrainable() {
        for (Parameter p : root.getParameters().values()) {
            p.freeze(true);
        }
        for (AdapterHost h : hosts()) {
            for (Map.Entry<String, Adapter> e : h.adapters().entrySet()) {
                PeftConfig c = configs.get(e.getKey());
                boolean train = active.contains(e.getKey()) && c != null && !c.common().inferenceMode();
                e.getValue().setTrainable(train);
            }
        }
        for (ModulesToSaveHost h : saveHosts()) {
            for (String a : h.copies().keySet()) {
                PeftConfig c = configs.get(a);
                boolean train = active.contains(a) && c != null && !c.common().inferenceMode();
                h.copyParameters(a).values().forEach(p -> p.freeze(!train));
            }
        }
        for (String a : active) {
            PeftConfig c = configs.get(a);
            if (c == null || c.common().inferenceMode()) {
                continue;
            }
            if (c.bias() == BiasMode.ALL) {
                BlockPaths.parameters(root).forEach((k, p) -> {
                    if (k.endsWith(".bias") || k.equals("bias")) {
                        p.freeze(false);
                    }
                });
            } else if (c.bias() == BiasMode.LORA_ONLY) {
                for (AdapterHost h : hosts()) {
                    if (h.adapter(a) != null && h.base().bias() != null) {
                        h.base().bias().freeze(false);
                    }
                }
            }
        }
    }

    /**
     * Saves adapters in PEFT's format: {@code default} into {@code dir}, others into {@code
     * dir/<name>} (see {@link org.peft4j.core.format.AdapterFiles}).
     *
     * @param dir the folder
     * @param adapterNames the adapters; none means all
     * @throws java.io.IOException if a write fails (previous files stay intact)
     */
    public void save(java.nio.file.Path dir, String... adapterNames) throws java.io.IOException {
        org.peft4j.core.format.AdapterFiles.save(this, dir, adapterNames);
    }

    /**
     * Loads a PEFT adapter folder onto a base model; the adapter is active and named {@code default}.
     *
     * @param root the base model
     * @param dir the adapter folder
     * @param trainable false loads it frozen
     * @return the wrapped model
     * @throws java.io.IOException if a file is missing or invalid
     */
    public static PeftModel load(Block root, java.nio.file.Path dir, boolean trainable) throws java.io.IOException {
        return org.peft4j.core.format.AdapterFiles.load(root, dir, trainable);
    }

    /**
     * Adds the adapter folder {@code dir} under {@code name} (inactive).
     *
     * @param dir the adapter folder
     * @param name the adapter name
     * @param trainable false loads it frozen
     * @throws java.io.IOException if a file is missing or invalid
     */
    public void loadAdapter(java.nio.file.Path dir, String name, boolean trainable) throws java.io.IOException {
        org.peft4j.core.format.AdapterFiles.loadAdapter(this, dir, name, trainable);
    }

    private void requireAdapter(String name) {
        if (!configs.containsKey(name)) {
            throw new PeftException("Adapter " + name + " does not exist; adapters: " + configs.keySet());
        }
    }
}

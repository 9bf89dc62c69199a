package org.peft4j.lora.sb;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.util.ProgressBar;
import ai.djl.util.Progress;

import org.peft4j.core.NoTargetMatchedException;
import org.peft4j.core.PeftException;
import org.peft4j.core.PeftModel;
import org.peft4j.core.adapter.AdapterHost;
import org.peft4j.core.adapter.ModulesToSaveHost;
import org.peft4j.core.match.TargetMatcher;
import org.peft4j.core.nn.AutogradScalars;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.core.nn.LinearLayers;
import org.peft4j.lora.MethodArguments;
import org.peft4j.lora.linalg.Svd;
import org.peft4j.lora.linalg.SvdResult;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Estimates LoRA-SB's starting point, the first update of full fine-tuning, from a few training
 * samples (official code: {@code utils/gradient_utils.py}, {@code estimate_and_process_grads_torch}):
 *
 * <ol>
 *   <li>for each batch, forward in training mode, {@code loss(labels, predictions) / n_b} (the batch
 *       loss divided once more by the number of samples {@code n_b} it holds, as the official code
 *       does), backward; the gradients of every target weight are summed over batches until {@code
 *       num_samples} samples are seen (the last batch is cut to fit);
 *   <li>{@code ΔW = −η_eff · sign(G)}, the first step of Adam with learning rate {@code η_eff =
 *       estimation_lr / estimation_warmup_steps};
 *   <li>the top-{@code r} SVD of each {@code ΔW}.
 * </ol>
 *
 * <p>The target weights stay frozen throughout: each target's output gets a temporary zero tap
 * {@code t} that requires a gradient, and {@code ∂L/∂W = Σ (∂L/∂t)ᵀ·x} is summed from it after each
 * backward pass (the same matmul autograd would do for {@code W}), so quantized layers work too.
 * Every other parameter is frozen during the estimate and restored afterwards, so no gradient
 * reaches (or is left on) anything else; the taps, their gradients and the sums are freed before
 * the method returns, and the model is returned exactly as it was (same blocks, weights and
 * trainable flags).
 *
 * <pre>{@code
 * LoraSbConfig config = LoraSbConfig.builder().r(16).targetModules("query", "value")
 *         .modulesToSave("classifier").numSamples(64).estimationSchedule(1e-3, 10).build();
 * PeftModel peft = UpdateEstimator.wrap(model, config, batches, Loss.softmaxCrossEntropyLoss());
 * }</pre>
 */
public final class UpdateEstimator {

    private static final Logger LOG = LoggerFactory.getLogger(UpdateEstimator.class);
    private static final String PROBE = "lora_sb_update_probe";
    /** Seed of the randomized SVD's test matrix (the official code seeds torch with 42). */
    private static final long SVD_SEED = 42L;

    private UpdateEstimator() {}

    /**
     * Estimates the update with a progress bar on standard output.
     *
     * @param model the model (a plain block, or {@link PeftModel#block()}); the targets are found
     *     by {@code config}'s target fields, as wrapping would find them
     * @param config the LoRA-SB config (rank, targets, {@code num_samples}, {@code η_eff})
     * @param batches training batches: {@link Batch#getData()} is the model's input, {@link
     *     Batch#getLabels()} the loss's labels, every array with the sample axis first; each batch
     *     taken is closed
     * @param loss the task loss, e.g. {@code Loss.softmaxCrossEntropyLoss()}
     * @return the estimate, on the model's device; the caller closes it
     */
    public static UpdateEstimate estimate(Block model, LoraSbConfig config, Iterator<Batch> batches, Loss loss) {
        return estimate(model, config, batches, loss, new ProgressBar());
    }

    /**
     * Estimates the update on a wrapped model (its active adapters take part in the forward pass).
     *
     * @param model the wrapped model
     * @param config the LoRA-SB config
     * @param batches training batches (see {@link #estimate(Block, LoraSbConfig, Iterator, Loss)})
     * @param loss the task loss
     * @return the estimate; the caller closes it
     */
    public static UpdateEstimate estimate(PeftModel model, LoraSbConfig config, Iterator<Batch> batches, Loss loss) {
        if (model.adaptersDisabled()) {
            throw new PeftException("the model's adapters are disabled; enable them (close the DisabledAdapters scope) before estimating");
        }
        return estimate(model.block(), config, batches, loss, new ProgressBar());
    }

    /**
     * Estimates the update, wraps {@code model} with a LoRA-SB adapter initialised from it (named
     * {@code default}), and frees the estimate.
     *
     * @param model the base model, its weights loaded
     * @param config the LoRA-SB config
     * @param batches training batches (see {@link #estimate(Block, LoraSbConfig, Iterator, Loss)})
     * @param loss the task loss
     * @return the wrapped model, its adapter active and trainable
     */
    public static PeftModel wrap(Block model, LoraSbConfig config, Iterator<Batch> batches, Loss loss) {
        try (UpdateEstimate estimate = estimate(model, config, batches, loss)) {
            return PeftModel.wrap(model, config.withUpdateEstimate(estimate));
        }
    }

    /**
     * Estimates the update, reporting progress to {@code progress}.
     *
     * @param model the model (see {@link #estimate(Block, LoraSbConfig, Iterator, Loss)})
     * @param config the LoRA-SB config
     * @param batches training batches
     * @param loss the task loss
     * @param progress where progress goes, or null for none
     * @return the estimate; the caller closes it
     * @throws NoTargetMatchedException if no layer matches the targets
     * @throws PeftException if the batches hold no sample
     */
    public static UpdateEstimate estimate(Block model, LoraSbConfig config, Iterator<Batch> batches, Loss loss, Progress progress) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(batches, "batches: LoRA-SB needs training batches to estimate the first update");
        Objects.requireNonNull(loss, "loss");
        NDManager modelManager = managerOf(model);
        List<Site> sites = findSites(model, config);
        Map<Parameter, Boolean> trainable = new IdentityHashMap<>();
        model.getParameters().values().forEach(p -> trainable.put(p, p.requiresGradient()));
        NDManager out = modelManager.newSubManager();
        boolean done = false;
        try (NDManager scratch = modelManager.newSubManager()) {
            Map<String, GradientProbe> probes = new LinkedHashMap<>();
            try {
                for (Site s : sites) {
                    probes.put(s.path, insertProbe(model, s, scratch));
                }
                trainable.keySet().forEach(p -> p.freeze(true));
                int samples = accumulate(model, modelManager, probes.values(), config.numSamples(), batches, loss, progress);
                Map<String, UpdateEstimate.LayerUpdate> layers = decompose(probes, config, scratch, out, progress);
                done = true;
                return new UpdateEstimate(out, layers, config.r(), samples, config.effectiveLearningRate());
            } finally {
                for (Site s : sites) {
                    removeProbe(model, s);
                }
                trainable.forEach((p, t) -> p.freeze(!t));
            }
        } finally {
            if (!done) {
                out.close();
            }
        }
    }

    /** A target layer: its path, and the host the probe goes into (made for the estimate if none). */
    private static final class Site {
        final String path;
        final AdapterHost host;
        final boolean temporaryHost;
        final List<String> activeBefore;

        Site(String path, AdapterHost host, boolean temporaryHost) {
            this.path = path;
            this.host = host;
            this.temporaryHost = temporaryHost;
            this.activeBefore = host.active();
        }
    }

    private static List<Site> findSites(Block root, LoraSbConfig config) {
        List<BlockPaths.Node> nodes = BlockPaths.walk(root);
        List<String> hostPaths = new ArrayList<>();
        for (BlockPaths.Node n : nodes) {
            if (n.block() instanceof AdapterHost || n.block() instanceof ModulesToSaveHost) {
                hostPaths.add(n.path() + ".");
            }
        }
        List<Site> sites = new ArrayList<>();
        for (BlockPaths.Node n : nodes) {
            String p = n.path();
            if (p.isEmpty() || hostPaths.stream().anyMatch(p::startsWith) || n.block() instanceof ModulesToSaveHost
                    || config.modulesToSave().stream().anyMatch(m -> p.equals(m) || p.endsWith("." + m))) {
                continue;
            }
            boolean isHost = n.block() instanceof AdapterHost;
            if (!isHost && !LinearLayers.isLinear(n.block())) {
                continue;
            }
            if (TargetMatcher.matches(config.targets(), p, true)) {
                if (isHost) {
                    AdapterHost h = (AdapterHost) n.block();
                    if (h.disabled()) {
                        throw new PeftException("adapters are disabled at " + p + "; enable them before estimating the LoRA-SB update");
                    }
                    sites.add(new Site(p, h, false));
                } else {
                    sites.add(new Site(p, new AdapterHost(p, n.block()), true));
                }
            }
        }
        if (sites.isEmpty()) {
            throw new NoTargetMatchedException("target_modules " + config.targets().targetModules()
                    + " matched no linear layer of the model; LoRA-SB has nothing to estimate");
        }
        return sites;
    }

    private static GradientProbe insertProbe(Block root, Site s, NDManager scratch) {
        GradientProbe probe = new GradientProbe(scratch, s.host.base().outFeatures(), s.host.base().inFeatures());
        if (s.temporaryHost) {
            BlockPaths.replace(root, s.path, s.host);
        }
        s.host.addAdapter(PROBE, probe);
        List<String> active = new ArrayList<>(s.activeBefore);
        active.add(PROBE);
        s.host.setActive(active);
        return probe;
    }

    private static void removeProbe(Block root, Site s) {
        if (s.host.adapter(PROBE) != null) {
            s.host.removeAdapter(PROBE);
            s.host.setActive(s.activeBefore);
        }
        if (s.temporaryHost && BlockPaths.get(root, s.path) == s.host) {
            BlockPaths.replace(root, s.path, s.host.baseBlock());
        }
    }

    private static int accumulate(Block model, NDManager modelManager, Collection<GradientProbe> probes, int numSamples,
                                  Iterator<Batch> batches, Loss loss, Progress progress) {
        ParameterStore ps = new ParameterStore(modelManager, false);
        Engine engine = modelManager.getEngine();
        if (progress != null) {
            progress.reset("LoRA-SB grads", numSamples);
            progress.start(0);
        }
        int seen = 0;
        while (seen < numSamples && batches.hasNext()) {
            Batch batch = batches.next();
            try {
                int size = batch.getSize();
                if (size <= 0) {
                    continue;
                }
                int take = Math.min(size, numSamples - seen);
                try (NDScope scope = new NDScope()) {
                    NDList data = take < size ? head(batch.getData(), take) : batch.getData();
                    NDList labels = take < size ? head(batch.getLabels(), take) : batch.getLabels();
                    try (GradientCollector gc = engine.newGradientCollector()) {
                        NDList predictions = model.forward(ps, data, true);
                        NDArray value = loss.evaluate(labels, predictions);
                        // official code: backward of (loss / samples_in_batch); the sum over batches is G
                        gc.backward(AutogradScalars.div(value, take));
                    }
                    for (GradientProbe p : probes) {
                        p.collect();
                    }
                }
                seen += take;
                if (progress != null) {
                    // DJL's Progress takes the 0-based index of the last item done
                    progress.update(seen - 1, "samples " + seen + "/" + numSamples);
                }
            } finally {
                batch.close();
            }
        }
        if (progress != null) {
            progress.end();
        }
        if (seen == 0) {
            throw new PeftException("batches: no training sample was given; LoRA-SB estimates its initialisation from num_samples ("
                    + numSamples + ") training samples");
        }
        if (seen < numSamples) {
            LOG.warn("LoRA-SB: the batches held {} samples, fewer than num_samples = {}; the estimate uses {}", seen, numSamples, seen);
        }
        return seen;
    }

    private static NDList head(NDList list, int n) {
        NDList out = new NDList(list.size());
        for (NDArray a : list) {
            out.add(a.get(new NDIndex(":{}", n)));
        }
        return out;
    }

    private static Map<String, UpdateEstimate.LayerUpdate> decompose(Map<String, GradientProbe> probes, LoraSbConfig config, NDManager scratch,
                                                                     NDManager out, Progress progress) {
        int r = config.r();
        Svd svd = config.svdNiter() == null ? Svd.truncated(r) : Svd.randomized(r, 0, config.svdNiter(), SVD_SEED);
        float eta = (float) config.effectiveLearningRate();
        if (progress != null) {
            progress.reset("LoRA-SB SVD", probes.size());
            progress.start(0);
        }
        Map<String, UpdateEstimate.LayerUpdate> layers = new LinkedHashMap<>();
        int done = 0;
        for (Map.Entry<String, GradientProbe> e : probes.entrySet()) {
            try (NDManager local = scratch.newSubManager()) {
                NDArray g = e.getValue().gradientSum();
                long rows = g.getShape().get(0);
                long cols = g.getShape().get(1);
                MethodArguments.requireRankFits(r, rows, cols, e.getKey());
                NDArray update = g.sign().muli(-eta);
                update.attach(local);
                if (!update.any().getBoolean()) {
                    LOG.warn("LoRA-SB: layer {} received no gradient from the loss; its estimated update is zero", e.getKey());
                }
                SvdResult f = svd.decompose(update, out);
                layers.put(e.getKey(), new UpdateEstimate.LayerUpdate(f.u(), f.s(), f.vt()));
            }
            if (progress != null) {
                done++;
                // a count, not the layer's path: the bar redraws in place and a shorter text would leave the longer one's tail
                progress.update(done - 1, done + "/" + probes.size() + " layers");
            }
        }
        if (progress != null) {
            progress.end();
        }
        return layers;
    }

    private static NDManager managerOf(Block block) {
        NDManager m = BlockPaths.parameterManager(block);
        if (m == null) {
            throw new PeftException("the model has no initialised parameter: load its weights before estimating the LoRA-SB update");
        }
        return m;
    }
}

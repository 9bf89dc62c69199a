package org.peft4j.lora.sb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.core.PeftException;
import org.peft4j.core.PeftModel;
import org.peft4j.core.adapter.AdapterHost;
import org.peft4j.core.config.JsonFields;
import org.peft4j.core.format.AdapterFiles;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.core.testing.TinyNet;
import org.peft4j.lora.linalg.Svd;
import org.peft4j.lora.linalg.SvdResult;
import org.peft4j.lora.testing.ModelRuns;
import org.peft4j.lora.testing.TinyNetFixture;
import org.peft4j.lora.xs.LoraXsAdapter;

import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * LoRA-SB: the estimate of the first full fine-tuning update (checked against gradients taken
 * through the weights themselves), the initial model {@code W0 + trunc_r(ΔW)}, R-only training,
 * counts, errors and files.
 */
class LoraSbTest extends TinyNetFixture {

    LoraSbTest() {
        super(1234);
    }

    private static final List<String> TARGETS = List.of(
            "encoder.layer.0.attention.self.query", "encoder.layer.0.attention.self.value",
            "encoder.layer.1.attention.self.query", "encoder.layer.1.attention.self.value");
    private float[] samples;
    private long[] labels;

    @BeforeEach
    void setUp() {
        Random random = new Random(99);
        samples = new float[12 * HIDDEN];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = (float) random.nextGaussian();
        }
        labels = new long[12];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = random.nextInt(3);
        }
    }

    /** Twelve samples in batches of four: with num_samples 10 the third batch is cut to two. */
    private Iterator<Batch> batches() {
        return ModelRuns.batches(manager, samples, HIDDEN, labels, 4);
    }

    private static LoraSbConfig.Builder config() {
        return LoraSbConfig.builder().r(3).targetModules("query", "value").numSamples(10).estimationSchedule(0.5, 1);
    }

    private UpdateEstimate estimate(Block model, LoraSbConfig config) {
        return UpdateEstimator.estimate(model, config, batches(), Loss.softmaxCrossEntropyLoss(), null);
    }

    /**
     * G by the textbook route: the target weights themselves require gradients, batches of the
     * first ten samples (4, 4, 2), backward of loss / n_b, gradients summed by DJL.
     */
    private Map<String, float[]> referenceUpdates(Block model, float eta, int r) {
        Map<String, Parameter> params = BlockPaths.parameters(model);
        params.values().forEach(p -> p.freeze(true));
        TARGETS.forEach(t -> params.get(t + ".weight").freeze(false));
        long[] first = new long[10];
        System.arraycopy(labels, 0, first, 0, 10);
        Iterator<Batch> it = ModelRuns.batches(manager, samples, HIDDEN, first, 4);
        Loss loss = Loss.softmaxCrossEntropyLoss();
        while (it.hasNext()) {
            try (Batch b = it.next(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray l = loss.evaluate(b.getLabels(), model.forward(new ParameterStore(b.getManager(), false), b.getData(), true));
                gc.backward(l.div(b.getSize()));
            }
        }
        Map<String, float[]> out = new LinkedHashMap<>();
        for (String t : TARGETS) {
            NDArray g = params.get(t + ".weight").getArray().getGradient();
            NDArray update = g.sign().mul(-eta);
            try (SvdResult full = Svd.full().decompose(update, manager)) {
                NDArray u = full.u().get(":, :" + r);
                NDArray s = full.s().get(":" + r);
                NDArray vt = full.vt().get(":" + r + ", :");
                out.put(t, u.mul(s.reshape(1, r)).matMul(vt).toFloatArray());
            }
        }
        return out;
    }

    @Test
    void estimateIsTheTruncatedSignOfTheAccumulatedWeightGradient() {
        Map<String, float[]> reference = referenceUpdates(net(11), 0.5f, 3);
        try (UpdateEstimate e = estimate(net(11), config().build())) {
            assertEquals(10, e.samples(), "num_samples counts samples, not batches");
            assertEquals(0.5, e.effectiveLearningRate(), 0);
            for (String t : TARGETS) {
                UpdateEstimate.LayerUpdate u = e.layer(t);
                float[] truncated = u.u().mul(u.s().reshape(1, 3)).matMul(u.vt()).toFloatArray();
                // ΔW has entries ±0.5 (||ΔW||₂ <= 8); two float32 SVDs of a 16 × 16 matrix agree to ~1e-6 of that
                assertTrue(ModelRuns.maxAbsDiff(reference.get(t), truncated) < 1e-5f, t);
            }
        }
    }

    @Test
    void initialModelIsTheBasePlusTheTruncatedUpdate() {
        Map<String, float[]> reference = referenceUpdates(net(11), 0.5f, 3);
        TinyNet expected = net(11);
        Map<String, Parameter> params = BlockPaths.parameters(expected);
        for (String t : TARGETS) {
            NDArray w = params.get(t + ".weight").getArray();
            w.addi(manager.create(reference.get(t), w.getShape()));
        }
        PeftModel peft = UpdateEstimator.wrap(net(11), config().build(), batches(), Loss.softmaxCrossEntropyLoss());
        for (AdapterHost h : peft.hosts()) {
            try (NDManager scratch = manager.newSubManager()) {
                float[] delta = h.adapter(PeftModel.DEFAULT_ADAPTER).deltaWeight(scratch).toFloatArray();
                assertTrue(ModelRuns.maxAbsDiff(reference.get(h.path()), delta) < 1e-5f, "s·B·R·A = trunc_r(ΔW) at " + h.path());
            }
        }
        // the outputs of W0 + trunc_r(ΔW) and of the adapted model agree to float32 round-off
        assertTrue(ModelRuns.maxAbsDiff(ModelRuns.forward(expected, x), ModelRuns.forward(peft.block(), x)) < 1e-5f);
    }

    @Test
    void withLoraAlphaOtherThanRTheLatentIsSigmaOverSAndTheUpdateStaysTheTruncatedEstimate() {
        Map<String, float[]> reference = referenceUpdates(net(11), 0.5f, 3);
        // lora_alpha 12, r 3: s = 4 (methods-spec Choices #5: R_init = Σ_r / s, so s·B·R·A = trunc_r(ΔW) for any s)
        LoraSbConfig c = config().loraAlpha(12).build();
        assertEquals(4.0, c.scaling(), 0);
        PeftModel peft = UpdateEstimator.wrap(net(11), c, batches(), Loss.softmaxCrossEntropyLoss());
        for (AdapterHost h : peft.hosts()) {
            LoraXsAdapter a = (LoraXsAdapter) h.adapter(PeftModel.DEFAULT_ADAPTER);
            try (NDManager scratch = manager.newSubManager()) {
                float[] delta = a.deltaWeight(scratch).toFloatArray();
                // as with s = 1 (initialModelIsTheBasePlusTheTruncatedUpdate): 1e-5
                assertTrue(ModelRuns.maxAbsDiff(reference.get(h.path()), delta) < 1e-5f, "s·B·R·A = trunc_r(ΔW) at " + h.path());
                NDArray truncated = scratch.create(reference.get(h.path()), new Shape(HIDDEN, HIDDEN));
                try (SvdResult svd = Svd.full().decompose(truncated, scratch)) {
                    float[] sigma = svd.s().toFloatArray();
                    float[] latent = a.latent().getArray().toFloatArray();
                    for (int i = 0; i < 3; i++) {
                        for (int j = 0; j < 3; j++) {
                            // Σ_r ≤ ‖ΔW‖_2 ≤ 8 from a second float32 SVD (about 1e-6 of it), divided by s = 4: 1e-5
                            assertEquals(i == j ? sigma[i] / 4 : 0, latent[i * 3 + j], 1e-5, "R[" + i + "," + j + "] at " + h.path());
                        }
                    }
                }
            }
        }
    }

    @Test
    void mergeGivesTheSameOutputsAndUnmergeRestoresTheBaseWeights() {
        // s = 2, so a merge that dropped or doubled the scaling would not match the forward pass
        PeftModel peft = UpdateEstimator.wrap(net(20), config().loraAlpha(6).build(), batches(), Loss.softmaxCrossEntropyLoss());
        for (AdapterHost h : peft.hosts()) {
            ((LoraXsAdapter) h.adapter(PeftModel.DEFAULT_ADAPTER)).latent().getArray().muli(1.3f).addi(0.05f); // as if trained
        }
        Map<String, float[]> weights = ModelRuns.snapshot(peft.block());
        float[] unmerged = ModelRuns.forward(peft.block(), x);
        peft.merge(true);
        // W0 + s·B·R·A in one matrix instead of two paths: float32 round-off of 16-term sums, 1e-5
        assertTrue(ModelRuns.maxAbsDiff(unmerged, ModelRuns.forward(peft.block(), x)) < 1e-5f, "merged = unmerged");
        peft.unmerge();
        // W0 + Δ − Δ with |Δ| <= 1 (entries of the ±0.5 estimate, rescaled): 1e-6
        ModelRuns.snapshot(peft.block()).forEach((k, v) -> assertArrayEquals(weights.get(k), v, 1e-6f, k));
    }

    @Test
    void estimatingLeavesTheModelAsItWas() {
        TinyNet model = net(12);
        Map<String, float[]> weights = ModelRuns.snapshot(model);
        Map<String, Parameter> trainableBefore = ModelRuns.trainable(model);
        List<String> pathsBefore = BlockPaths.walk(model).stream().map(BlockPaths.Node::path).toList();
        try (UpdateEstimate e = estimate(model, config().build())) {
            assertEquals(TARGETS, List.copyOf(e.paths()));
        }
        assertEquals(pathsBefore, BlockPaths.walk(model).stream().map(BlockPaths.Node::path).toList(), "no host left behind");
        assertEquals(trainableBefore.keySet(), ModelRuns.trainable(model).keySet(), "trainable flags restored");
        ModelRuns.snapshot(model).forEach((k, v) -> assertArrayEquals(weights.get(k), v, 0f, k));
        // the fresh net's parameters were trainable before and are again; none received a gradient
        BlockPaths.parameters(model).forEach((k, p) -> {
            NDArray a = p.getArray();
            assertTrue(!a.hasGradient() || a.getGradient().abs().sum().getFloat() == 0f, "no gradient reached " + k);
        });
    }

    @Test
    void estimatingOnAWrappedModelKeepsItsTrainableHead() {
        PeftModel peft = PeftModel.wrap(net(13), config().modulesToSave("classifier").build()
                .withUpdateEstimate(estimate(net(13), config().build())));
        Map<String, Parameter> trainableBefore = ModelRuns.trainable(peft.block());
        try (UpdateEstimate e = UpdateEstimator.estimate(peft, config().build(), batches(), Loss.softmaxCrossEntropyLoss())) {
            assertEquals(4, e.paths().size());
        }
        assertEquals(trainableBefore.keySet(), ModelRuns.trainable(peft.block()).keySet());
        assertTrue(trainableBefore.keySet().stream().anyMatch(k -> k.startsWith("classifier.")), trainableBefore.keySet().toString());
        assertEquals(List.of(PeftModel.DEFAULT_ADAPTER), peft.hosts().get(0).active());
        assertEquals(Collections.singleton(PeftModel.DEFAULT_ADAPTER), peft.hosts().get(0).adapters().keySet());
    }

    @Test
    void adaptersOwnTheirFactorsSoTheEstimateCanBeClosed() {
        UpdateEstimate e = estimate(net(19), config().build());
        PeftModel peft = PeftModel.wrap(net(19), config().build().withUpdateEstimate(e));
        LoraXsAdapter a = (LoraXsAdapter) peft.hosts().get(0).adapter(PeftModel.DEFAULT_ADAPTER);
        float[] b = a.loraB().getArray().toFloatArray();
        float[] aa = a.loraA().getArray().toFloatArray();
        UpdateEstimate.LayerUpdate u = e.layer(peft.hosts().get(0).path());
        u.u().muli(0f); // a view of the estimate would change with it
        u.vt().muli(0f);
        assertArrayEquals(b, a.loraB().getArray().toFloatArray(), 0f);
        assertArrayEquals(aa, a.loraA().getArray().toFloatArray(), 0f);
        e.close();
    }

    @Test
    void withoutAnEstimateWrappingIsAnErrorNamingTheField() {
        PeftException e = assertThrows(PeftException.class, () -> PeftModel.wrap(net(14), config().build()));
        assertTrue(e.getMessage().startsWith("update_estimate:"), e.getMessage());
        assertTrue(e.getMessage().contains("UpdateEstimator"), e.getMessage());
    }

    @Test
    void aConfigParsedFromJsonNeedsAnEstimateLikeABuiltOne() {
        LoraSbConfig parsed = LoraSbConfig.fromJson(new JsonFields(config().build().toJson()));
        PeftException e = assertThrows(PeftException.class, () -> PeftModel.wrap(net(11), parsed));
        assertTrue(e.getMessage().startsWith("update_estimate:"), e.getMessage());
        Map<String, float[]> reference = referenceUpdates(net(11), 0.5f, 3);
        try (UpdateEstimate estimate = estimate(net(11), parsed)) {
            PeftModel peft = PeftModel.wrap(net(11), parsed.withUpdateEstimate(estimate));
            for (AdapterHost h : peft.hosts()) {
                try (NDManager scratch = manager.newSubManager()) {
                    float[] delta = h.adapter(PeftModel.DEFAULT_ADAPTER).deltaWeight(scratch).toFloatArray();
                    // s·B·R·A = trunc_r(ΔW) as for a built config (1e-5, as in initialModelIsTheBasePlusTheTruncatedUpdate)
                    assertTrue(ModelRuns.maxAbsDiff(reference.get(h.path()), delta) < 1e-5f, h.path());
                }
            }
        }
    }

    @Test
    void anAdapterWaitingForItsFileRefusesToRunUntilLoaded(@TempDir Path dir) throws Exception {
        UpdateEstimator.wrap(net(18), config().build(), batches(), Loss.softmaxCrossEntropyLoss()).save(dir);
        PeftModel waiting = PeftModel.wrap(net(18), AdapterFiles.readConfig(dir));
        PeftException e = assertThrows(PeftException.class, () -> ModelRuns.forward(waiting.block(), x));
        assertTrue(e.getMessage().startsWith("LORA_SB adapter: lora_A.weight") && e.getMessage().contains("PeftModel.load"), e.getMessage());
    }

    @Test
    void withoutSamplesEstimatingIsAnErrorNamingTheBatches() {
        PeftException e = assertThrows(PeftException.class,
                () -> UpdateEstimator.estimate(net(15), config().build(), Collections.emptyIterator(), Loss.softmaxCrossEntropyLoss(), null));
        assertTrue(e.getMessage().startsWith("batches:"), e.getMessage());
    }

    @Test
    void anEstimateOfAnotherRankIsRefused() {
        try (UpdateEstimate e = estimate(net(16), config().build())) {
            PeftException ex = assertThrows(PeftException.class, () -> PeftModel.wrap(net(16), config().r(2).build().withUpdateEstimate(e)));
            assertTrue(ex.getMessage().contains("r = 3") && ex.getMessage().contains("r = 2"), ex.getMessage());
        }
    }

    @Test
    void onlyRTrainsWithRSquaredParametersPerMatrixAndBAndAOrthonormal() {
        PeftModel peft = UpdateEstimator.wrap(net(17), config().build(), batches(), Loss.softmaxCrossEntropyLoss());
        assertEquals(4L * 3 * 3, peft.trainableParameters().trainable());
        Map<String, Parameter> trainable = ModelRuns.trainable(peft.block());
        trainable.keySet().forEach(k -> assertTrue(k.endsWith(LoraXsAdapter.KEY_R), k));
        ModelRuns.backward(peft.block(), x);
        trainable.values().forEach(p -> assertTrue(p.getArray().getGradient().abs().sum().getFloat() > 0));
        LoraXsAdapter a = (LoraXsAdapter) peft.hosts().get(0).adapter(PeftModel.DEFAULT_ADAPTER);
        assertFalse(a.loraA().getArray().hasGradient());
        // B = U_r, A = V_rᵀ: orthonormal columns / rows (float32 SVD: 1e-5)
        NDArray b = a.loraB().getArray();
        NDArray aa = a.loraA().getArray();
        assertTrue(b.transpose().matMul(b).sub(manager.eye(3)).abs().max().getFloat() < 1e-5f);
        assertTrue(aa.matMul(aa.transpose()).sub(manager.eye(3)).abs().max().getFloat() < 1e-5f);
    }

    @Test
    void saveAndLoadOnTheSameBaseGiveIdenticalOutputs(@TempDir Path dir) throws Exception {
        PeftModel peft = UpdateEstimator.wrap(net(18), config().modulesToSave("classifier").build(), batches(), Loss.softmaxCrossEntropyLoss());
        float[] expected = ModelRuns.forward(peft.block(), x);
        peft.save(dir);
        PeftModel loaded = PeftModel.load(net(18), dir, true);
        LoraSbConfig c = (LoraSbConfig) loaded.config(PeftModel.DEFAULT_ADAPTER);
        assertEquals(10, c.numSamples());
        assertEquals(0.5, c.effectiveLearningRate(), 0);
        assertArrayEquals(expected, ModelRuns.forward(loaded.block(), x), 0f);
        assertEquals(4L * 9 + 3 * HIDDEN + 3, loaded.trainableParameters().trainable(), "R and the classifier copy train after a trainable load");
    }

    @Test
    void configRoundTripsThroughJsonWithoutTheEstimate() {
        LoraSbConfig c = LoraSbConfig.builder().r(24).targetModules("query").numSamples(50).estimationSchedule(2e-3, 20).svdNiter(10).build();
        LoraSbConfig back = LoraSbConfig.fromJson(new JsonFields(c.toJson()));
        assertEquals(c.toJson(), back.toJson());
        assertEquals(1e-4, back.effectiveLearningRate(), 1e-18);
        assertEquals(1.0, back.scaling(), 0, "lora_alpha defaults to r: s = 1");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> config().numSamples(0).build()).getMessage().startsWith("num_samples:"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> config().estimationSchedule(0, 1).build()).getMessage().startsWith("estimation_lr:"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> config().estimationSchedule(1e-3, 0).build()).getMessage()
                .startsWith("estimation_warmup_steps:"));
    }
}

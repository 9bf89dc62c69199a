package org.peft4j.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;

import org.junit.jupiter.api.Test;
import org.peft4j.core.NoTargetMatchedException;
import org.peft4j.core.PeftException;
import org.peft4j.core.PeftModel;
import org.peft4j.core.TrainableSummary;
import org.peft4j.core.adapter.AdapterHost;
import org.peft4j.core.adapter.ModulesToSaveHost;
import org.peft4j.core.config.TargetModules;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.core.nn.DenseLinear;
import org.peft4j.core.testing.TinyNet;
import org.peft4j.lora.testing.TinyNetFixture;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PEFT's behavioural invariants for LoRA (peft-semantics.md §8, tests/testing_common.py), on a small
 * HF-shaped network. Tolerances are PEFT's own unless stated.
 */
class LoraInvariantsTest extends TinyNetFixture {

    LoraInvariantsTest() {
        super(1234);
    }

    private TinyNet net() {
        return new TinyNet(manager, HIDDEN, 2, 3);
    }

    private float[] run(Block block) {
        try (NDManager sub = manager.newSubManager()) {
            NDArray in = x.duplicate();
            in.attach(sub);
            return block.forward(new ParameterStore(sub, false), new NDList(in), false).singletonOrThrow().toFloatArray();
        }
    }

    private static LoraConfig.Builder qv() {
        return LoraConfig.builder().r(4).loraAlpha(8).targetModules("query", "value");
    }

    private static void assertClose(float[] expected, float[] actual, double atol, double rtol, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            double tol = atol + rtol * Math.abs(expected[i]);
            assertTrue(Math.abs(expected[i] - actual[i]) <= tol,
                    what + ": element " + i + " expected " + expected[i] + " got " + actual[i] + " (tol " + tol + ")");
        }
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @Test
    void defaultInitLeavesOutputExactlyUnchanged() {
        TinyNet net = net();
        float[] base = run(net);
        PeftModel peft = PeftModel.wrap(net, qv().build());
        // lora_B == 0 exactly, so base(x) + 0 is bit-identical
        assertArrayEquals(base, run(peft.block()));
        for (AdapterHost h : peft.hosts()) {
            LoraAdapter a = (LoraAdapter) h.adapter("default");
            assertEquals(0f, a.loraB().getArray().abs().max().getFloat());
            float bound = (float) (1 / Math.sqrt(HIDDEN));
            assertTrue(a.loraA().getArray().abs().max().getFloat() <= bound, "kaiming-uniform(a=sqrt 5) bound 1/sqrt(in)");
        }
    }

    @Test
    void gaussianInitHasStdOneOverRAndZeroB() {
        TinyNet net = new TinyNet(manager, 64, 1, 3);
        PeftModel peft = PeftModel.wrap(net, LoraConfig.builder().r(8).targetModules("query").initLoraWeights(LoraInit.GAUSSIAN).build());
        LoraAdapter a = (LoraAdapter) peft.hosts().get(0).adapter("default");
        NDArray w = a.loraA().getArray();
        float std = w.sub(w.mean()).pow(2).mean().sqrt().getFloat();
        // 512 draws of N(0, 1/8): the sample std is within 15% of 0.125 with overwhelming probability
        assertEquals(0.125, std, 0.125 * 0.15);
        assertEquals(0f, a.loraB().getArray().abs().max().getFloat());
    }

    @Test
    void orthogonalInitGivesNonZeroFactorsWhoseProductIsZero() {
        // PEFT's orthogonal_init: A from the even rows of an orthogonal Q, B from the odd rows, so B·A = 0
        TinyNet net = net();
        float[] base = run(net);
        PeftModel peft = PeftModel.wrap(net, LoraConfig.builder().r(8).loraAlpha(16).targetModules("query", "value")
                .initLoraWeights(LoraInit.ORTHOGONAL).build());
        for (AdapterHost h : peft.hosts()) {
            LoraAdapter a = (LoraAdapter) h.adapter("default");
            NDArray la = a.loraA().getArray();
            NDArray lb = a.loraB().getArray();
            // entries are sums of r/2 = 4 products of N(0, 1) with |Q| <= 1, divided by 10: the largest of 128 ~0.2
            assertTrue(la.abs().max().getFloat() > 0.05f && lb.abs().max().getFloat() > 0.05f, h.path());
            // B·A is a sum of products of size ~0.01 that cancel exactly in real arithmetic; float32 leaves round-off
            assertTrue(lb.matMul(la).abs().max().getFloat() < 1e-6f, h.path() + ": |B·A| " + lb.matMul(la).abs().max().getFloat());
        }
        assertTrue(maxAbsDiff(base, run(peft.block())) < 1e-6, "the model starts equal to the base");
        assertEquals("orthogonal", peft.config("default").toJson().get("init_lora_weights").getAsString());
        IllegalArgumentException odd = assertThrows(IllegalArgumentException.class,
                () -> LoraConfig.builder().r(5).targetModules("query").initLoraWeights(LoraInit.ORTHOGONAL).build());
        assertTrue(odd.getMessage().contains("requires the LoRA rank to be even, got r 5"), odd.getMessage());
        IllegalArgumentException pattern = assertThrows(IllegalArgumentException.class, () -> PeftModel.wrap(new TinyNet(manager, 64, 1, 3),
                LoraConfig.builder().r(8).targetModules("query").rankPattern("query", 3).initLoraWeights(LoraInit.ORTHOGONAL).build()));
        assertTrue(pattern.getMessage().contains("got 3") && pattern.getMessage().contains("query"), pattern.getMessage());
    }

    @Test
    void evaNeedsItsDataPassAndIsNotImitated() {
        // EVA's A comes from a data pass (EvaInitializer, tested in EvaTest): wrapping without it is refused
        // rather than started as something else; loading an EVA-trained folder is checked against PEFT in peft-models
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PeftModel.wrap(net(), qv().initLoraWeights(LoraInit.EVA).build()));
        assertTrue(e.getMessage().contains("EvaInitializer.wrap") && e.getMessage().contains("PeftModel.load"), e.getMessage());
        assertEquals("eva", qv().initLoraWeights(LoraInit.EVA).build().toJson().get("init_lora_weights").getAsString());
    }

    @Test
    void scalingIsAlphaOverRAndRsloraAlphaOverSqrtR() {
        PeftModel plain = PeftModel.wrap(net(), LoraConfig.builder().r(4).loraAlpha(8).targetModules("query").build());
        assertEquals(2.0f, ((LoraAdapter) plain.hosts().get(0).adapter("default")).scaling(), 0f);
        PeftModel rs = PeftModel.wrap(net(), LoraConfig.builder().r(8).loraAlpha(16).useRslora(true).targetModules("query").build());
        assertEquals(16 / Math.sqrt(8), ((LoraAdapter) rs.hosts().get(0).adapter("default")).scaling(), 1e-6);
    }

    @Test
    void rankAndAlphaPatternsOverridePerModule() {
        LoraConfig c = LoraConfig.builder().r(4).loraAlpha(8).targetModules("query", "value")
                .rankPattern("layer.0.attention.self.query", 2).alphaPattern("value", 4).build();
        PeftModel peft = PeftModel.wrap(net(), c);
        Map<String, LoraAdapter> byPath = new LinkedHashMap<>();
        peft.hosts().forEach(h -> byPath.put(h.path(), (LoraAdapter) h.adapter("default")));
        assertEquals(2, byPath.get("encoder.layer.0.attention.self.query").rank());
        assertEquals(4.0f, byPath.get("encoder.layer.0.attention.self.query").scaling(), 0f);
        assertEquals(4, byPath.get("encoder.layer.1.attention.self.query").rank());
        assertEquals(1.0f, byPath.get("encoder.layer.1.attention.self.value").scaling(), 0f);
        // rank_pattern equal to the default rank leaves the scaling unchanged (test_rank_alpha_pattern_override)
        assertEquals(2.0f, byPath.get("encoder.layer.1.attention.self.query").scaling(), 0f);
    }

    @Test
    void mergeEqualsUnmergedEqualsMergeAndUnload() {
        TinyNet net = net();
        float[] base = run(net);
        PeftModel peft = PeftModel.wrap(net, qv().initLoraWeights(LoraInit.RANDOM).build());
        float[] unmerged = run(peft.block());
        assertTrue(maxAbsDiff(base, unmerged) > 1e-3, "a random adapter must change the output");
        peft.merge(false);
        float[] merged = run(peft.block());
        assertClose(unmerged, merged, 1e-4, 1e-4, "merged vs unmerged");
        peft.unmerge();
        assertClose(unmerged, run(peft.block()), 1e-4, 1e-4, "after unmerge");
        Block plain = peft.mergeAndUnload(false);
        assertClose(unmerged, run(plain), 1e-4, 1e-4, "merge_and_unload");
        for (BlockPaths.Node n : BlockPaths.walk(plain)) {
            assertFalse(n.block() instanceof AdapterHost || n.block() instanceof ModulesToSaveHost, n.path());
        }
        assertInstanceOf(DenseLinear.class, BlockPaths.get(plain, "encoder.layer.0.attention.self.query"));
    }

    @Test
    void mergingTwiceChangesNothing() {
        PeftModel peft = PeftModel.wrap(net(), qv().initLoraWeights(LoraInit.RANDOM).build());
        peft.merge(false);
        float[] once = run(peft.block());
        peft.merge(false);
        assertClose(once, run(peft.block()), 1e-6, 0, "second merge");
    }

    @Test
    void unmergeRestoresTheBaseWeights() {
        TinyNet net = net();
        float[] w0 = ((DenseLinear) BlockPaths.get(net, "encoder.layer.0.attention.self.query")).weight().getArray().toFloatArray();
        PeftModel peft = PeftModel.wrap(net, qv().initLoraWeights(LoraInit.RANDOM).build());
        peft.merge(false);
        peft.unmerge();
        float[] w1 = peft.hosts().get(0).base().weightCopy(manager).toFloatArray();
        // W + ΔW − ΔW in float32: exact up to one rounding of the addition (|ΔW| ~ 1)
        assertClose(w0, w1, 1e-6, 0, "W after merge+unmerge");
    }

    @Test
    void disableScopeGivesTheBaseAndRestoresAfterwards() {
        TinyNet net = net();
        float[] base = run(net);
        PeftModel peft = PeftModel.wrap(net, qv().initLoraWeights(LoraInit.RANDOM).build());
        float[] adapted = run(peft.block());
        try (PeftModel.DisabledAdapters off = peft.disableAdapters()) {
            assertClose(base, run(peft.block()), 1e-6, 1e-6, "disabled");
        }
        assertClose(adapted, run(peft.block()), 1e-6, 1e-6, "re-enabled");
        peft.merge(false);
        try (PeftModel.DisabledAdapters off = peft.disableAdapters()) {
            // a disabled merged model unmerges first (test_disable_adapters_with_merging: 1e-5)
            assertClose(base, run(peft.block()), 1e-5, 1e-5, "disabled after merge");
        }
    }

    @Test
    void severalActiveAdaptersSumTheirDeltas() {
        TinyNet net = new TinyNet(manager, HIDDEN, 1, 3);
        // a purely linear check: the delta of query is additive, so compare ΔW sums at layer level
        PeftModel peft = PeftModel.wrap(net, "a", qv().initLoraWeights(LoraInit.RANDOM).build());
        peft.addAdapter("b", LoraConfig.builder().r(2).loraAlpha(2).targetModules("query", "value").initLoraWeights(LoraInit.RANDOM).build());
        AdapterHost q = peft.hosts().get(0);
        NDArray in = x.duplicate();
        ParameterStore ps = new ParameterStore(manager, false);
        peft.setActiveAdapters("a");
        float[] ya = q.forward(ps, new NDList(in), false).singletonOrThrow().toFloatArray();
        peft.setActiveAdapters("b");
        float[] yb = q.forward(ps, new NDList(in), false).singletonOrThrow().toFloatArray();
        peft.setActiveAdapters("a", "b");
        float[] yab = q.forward(ps, new NDList(in), false).singletonOrThrow().toFloatArray();
        float[] y0;
        try (PeftModel.DisabledAdapters off = peft.disableAdapters()) {
            y0 = q.forward(ps, new NDList(in), false).singletonOrThrow().toFloatArray();
        }
        float[] expected = new float[y0.length];
        for (int i = 0; i < y0.length; i++) {
            expected[i] = ya[i] + yb[i] - y0[i];
        }
        assertClose(expected, yab, 1e-5, 1e-5, "a+b active");
        assertTrue(maxAbsDiff(ya, yab) > 1e-5 && maxAbsDiff(yb, yab) > 1e-5, "combined differs from each alone");
        // merging both then forward equals the unmerged combination (1e-4)
        float[] full = run(peft.block());
        peft.merge(false);
        assertClose(full, run(peft.block()), 1e-4, 1e-4, "merged a+b");
    }

    @Test
    void newAdapterIsInactiveAndFrozenUntilSelected() {
        PeftModel peft = PeftModel.wrap(net(), qv().build());
        peft.addAdapter("other", qv().build());
        assertEquals(List.of("default"), peft.activeAdapters());
        LoraAdapter other = (LoraAdapter) peft.hosts().get(0).adapter("other");
        assertFalse(other.loraA().requiresGradient());
        peft.setActiveAdapters("other");
        assertTrue(other.loraA().requiresGradient());
        assertFalse(((LoraAdapter) peft.hosts().get(0).adapter("default")).loraA().requiresGradient());
    }

    @Test
    void duplicateDeleteAndMergedErrorsLeaveTheModelUntouched() {
        PeftModel peft = PeftModel.wrap(net(), qv().build());
        PeftException dup = assertThrows(PeftException.class, () -> peft.addAdapter("default", qv().r(2).build()));
        assertEquals("Adapter with name 'default' already exists.", dup.getMessage());
        assertEquals(4, ((LoraAdapter) peft.hosts().get(0).adapter("default")).rank(), "config untouched");
        PeftException unknown = assertThrows(PeftException.class, () -> peft.deleteAdapter("unknown-adapter"));
        assertEquals("Adapter unknown-adapter does not exist", unknown.getMessage());
        peft.addAdapter("two", qv().build());
        peft.merge(false, "two");
        PeftException merged = assertThrows(PeftException.class, () -> peft.deleteAdapter("two"));
        assertTrue(merged.getMessage().contains("while they are merged"), merged.getMessage());
        assertTrue(peft.hosts().get(0).adapters().containsKey("two"));
        peft.unmerge();
        peft.deleteAdapter("two");
        assertFalse(peft.hosts().get(0).adapters().containsKey("two"));
        assertEquals(List.of("default"), peft.activeAdapters());
    }

    @Test
    void deletingTheActiveAdapterActivatesTheFirstRemaining() {
        PeftModel peft = PeftModel.wrap(net(), qv().build());
        peft.addAdapter("b", qv().build());
        peft.addAdapter("a", qv().build());
        peft.deleteAdapter("default");
        assertEquals(List.of("a"), peft.activeAdapters());
    }

    @Test
    void safeMergeRefusesNonFiniteAndLeavesWeightsUntouched() {
        TinyNet net = net();
        PeftModel peft = PeftModel.wrap(net, qv().initLoraWeights(LoraInit.RANDOM).build());
        float[] before = run(peft.block());
        LoraAdapter last = (LoraAdapter) peft.hosts().get(peft.hosts().size() - 1).adapter("default");
        last.loraA().getArray().set(new ai.djl.ndarray.index.NDIndex("0, 0"), Float.NaN);
        float[] w0 = peft.hosts().get(0).base().weightCopy(manager).toFloatArray();
        PeftException e = assertThrows(PeftException.class, () -> peft.merge(true));
        assertTrue(e.getMessage().startsWith("NaNs detected in the merged weights. The adapter default seems to be broken"), e.getMessage());
        assertArrayEquals(w0, peft.hosts().get(0).base().weightCopy(manager).toFloatArray(), "first layer untouched");
        assertTrue(peft.mergedAdapters().isEmpty());
        assertEquals(before.length, run(peft.block()).length);
    }

    @Test
    void onlyAdapterAndModulesToSaveParametersChangeAfterThreeSteps() {
        TinyNet net = net();
        PeftModel peft = PeftModel.wrap(net, qv().initLoraWeights(LoraInit.RANDOM).modulesToSave("classifier").build());
        Map<String, float[]> before = snapshot(peft.block());
        try (Model model = Model.newInstance("lora-test")) {
        model.setBlock(peft.block());
        DefaultTrainingConfig cfg = new DefaultTrainingConfig(Loss.l2Loss())
                .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build());
        NDArray target = manager.randomNormal(new Shape(5, 3));
        try (Trainer trainer = model.newTrainer(cfg)) {
            for (int step = 0; step < 3; step++) {
                try (GradientCollector gc = trainer.newGradientCollector()) {
                    NDArray pred = trainer.forward(new NDList(x)).singletonOrThrow();
                    gc.backward(trainer.getLoss().evaluate(new NDList(target), new NDList(pred)));
                }
                trainer.step();
            }
        }
        Map<String, float[]> after = snapshot(peft.block());
        int changed = 0;
        for (Map.Entry<String, float[]> e : before.entrySet()) {
            String k = e.getKey();
            boolean adapterParam = k.contains(".default.lora_") || k.contains("modules_to_save.default");
            if (adapterParam) {
                // PEFT: every adapter param changed (atol/rtol 1e-4)
                assertTrue(maxAbsDiff(e.getValue(), after.get(k)) > 1e-4, "expected a change in " + k);
                changed++;
            } else {
                assertArrayEquals(e.getValue(), after.get(k), "frozen parameter changed: " + k);
            }
        }
        assertEquals(4 * 2 + 2, changed, "2 layers x (query, value) x (A, B) + classifier copy (weight, bias)");
        }
    }

    private static Map<String, float[]> snapshot(Block b) {
        Map<String, float[]> m = new LinkedHashMap<>();
        BlockPaths.parameters(b).forEach((k, p) -> m.put(k, p.getArray().toFloatArray()));
        return m;
    }

    @Test
    void gradientCollectorLoopGivesGradientsOnlyToAdapters() {
        PeftModel peft = PeftModel.wrap(net(), qv().initLoraWeights(LoraInit.RANDOM).build());
        ParameterStore ps = new ParameterStore(manager, false);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray out = peft.block().forward(ps, new NDList(x), true).singletonOrThrow();
            gc.backward(out.sum());
        }
        for (Map.Entry<String, Parameter> e : BlockPaths.parameters(peft.block()).entrySet()) {
            NDArray a = e.getValue().getArray();
            if (e.getKey().contains(".lora_")) {
                assertTrue(a.hasGradient() && a.getGradient().abs().sum().getFloat() > 0, "adapter gradient missing: " + e.getKey());
            } else {
                assertFalse(a.hasGradient(), "frozen parameter has a gradient: " + e.getKey());
            }
        }
    }

    @Test
    void trainableSummaryCountsAdapterParameters() {
        PeftModel peft = PeftModel.wrap(net(), qv().build());
        TrainableSummary s = peft.trainableParameters();
        // 2 layers x (query, value) x (A [4,16] + B [16,4])
        assertEquals(4 * (4 * 16 + 16 * 4), s.trainable());
        long base = 2 * 4 * (16 * 16 + 16) + (16 * 16 + 16) + (3 * 16 + 3);
        assertEquals(base + s.trainable(), s.total());
        assertTrue(s.toString().contains("trainable params: 512"), s.toString());
    }

    @Test
    void wrapsDjlLinearInsideSequentialBlockAndNamesUnsupportedParents() {
        SequentialBlock seq = new SequentialBlock().add(Linear.builder().setUnits(8).build()).add(Linear.builder().setUnits(4).build());
        seq.initialize(manager, DataType.FLOAT32, new Shape(5, HIDDEN));
        float[] base = run(seq);
        PeftModel peft = PeftModel.wrap(seq, LoraConfig.builder().r(2).targetModules("0").initLoraWeights(LoraInit.RANDOM).build());
        assertInstanceOf(AdapterHost.class, seq.getChildren().valueAt(0));
        assertTrue(maxAbsDiff(base, run(seq)) > 1e-4);
        peft.mergeAndUnload(false);
        assertInstanceOf(Linear.class, seq.getChildren().valueAt(0));
    }

    @Test
    void noMatchListsExistingLayersAndAllExcludedIsNamed() {
        NoTargetMatchedException e = assertThrows(NoTargetMatchedException.class,
                () -> PeftModel.wrap(net(), LoraConfig.builder().targetModules("q_proj").build()));
        assertTrue(e.getMessage().contains("Target modules [q_proj] not found in the base model"), e.getMessage());
        assertTrue(e.getMessage().contains("encoder.layer.0.attention.self.query"), e.getMessage());
        NoTargetMatchedException ex = assertThrows(NoTargetMatchedException.class,
                () -> PeftModel.wrap(net(), LoraConfig.builder().targetModules("query").excludeModules(TargetModules.names("query")).build()));
        assertTrue(ex.getMessage().startsWith("All modules were excluded."), ex.getMessage());
    }

    @Test
    void layersToTransformSelectsOnlyThatLayer() {
        PeftModel peft = PeftModel.wrap(net(), LoraConfig.builder().targetModules("query", "dense").layersToTransform(1).layersPattern("layer").build());
        List<String> paths = peft.hosts().stream().map(AdapterHost::path).collect(java.util.stream.Collectors.toList());
        assertEquals(List.of("encoder.layer.1.attention.self.query", "encoder.layer.1.output.dense"), paths);
    }

    @Test
    void invalidConfigValuesNameTheField() {
        IllegalArgumentException r = assertThrows(IllegalArgumentException.class, () -> LoraConfig.builder().r(0).targetModules("q").build());
        assertTrue(r.getMessage().startsWith("r: `r` should be a positive integer value but the value passed is 0"), r.getMessage());
        IllegalArgumentException d = assertThrows(IllegalArgumentException.class, () -> LoraConfig.builder().loraDropout(1.0).targetModules("q").build());
        assertTrue(d.getMessage().contains("lora_dropout") && d.getMessage().contains("[0, 1)"), d.getMessage());
        IllegalArgumentException t = assertThrows(IllegalArgumentException.class, () -> LoraConfig.builder().build());
        assertTrue(t.getMessage().startsWith("target_modules"), t.getMessage());
    }

    @Test
    void loraBiasTrainsABiasOnBAndMergesIt() {
        TinyNet net = net();
        PeftModel peft = PeftModel.wrap(net, qv().loraBias(true).initLoraWeights(LoraInit.RANDOM).build());
        LoraAdapter a = (LoraAdapter) peft.hosts().get(0).adapter("default");
        assertEquals(List.of("lora_A.weight", "lora_B.weight", "lora_B.bias"), List.copyOf(a.stateTensors().keySet()));
        a.stateTensors().get("lora_B.bias").getArray().addi(0.5f);
        float[] unmerged = run(peft.block());
        peft.merge(false);
        assertClose(unmerged, run(peft.block()), 1e-4, 1e-4, "lora_bias merge");
        assertNotEquals(0f, a.stateTensors().get("lora_B.bias").getArray().abs().sum().getFloat());
    }
}

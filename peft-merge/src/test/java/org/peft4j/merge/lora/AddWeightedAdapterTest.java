package org.peft4j.merge.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.core.PeftException;
import org.peft4j.core.PeftModel;
import org.peft4j.core.adapter.AdapterHost;
import org.peft4j.core.config.TargetModules;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.core.testing.TinyNet;
import org.peft4j.lora.LoraAdapter;
import org.peft4j.lora.LoraConfig;
import org.peft4j.lora.LoraInit;
import org.peft4j.lora.xs.LoraXsConfig;

/**
 * {@link AdapterCombination#addWeightedAdapter} on a small HF-shaped network, against PEFT's
 * add_weighted_adapter semantics (peft-semantics.md 7.1). Reference outputs come from a second copy
 * of the base network whose weights get {@code W + sum_i w_i s_i B_i A_i}, computed here in double
 * from each source adapter's own A, B and scaling, so they do not go through the code under test.
 */
class AddWeightedAdapterTest {

    private static final int HIDDEN = 16;
    private static final double[] W = {0.7, -1.2};

    private NDManager manager;
    private NDArray x;
    private TinyNet net;
    private Map<String, float[]> baseWeights;

    @BeforeEach
    void setUp() {
        Engine.getInstance().setRandomSeed(1234);
        manager = NDManager.newBaseManager();
        x = manager.randomNormal(new Shape(5, HIDDEN));
        net = new TinyNet(manager, HIDDEN, 2, 3);
        baseWeights = new LinkedHashMap<>();
        BlockPaths.parameters(net).forEach((k, p) -> baseWeights.put(k, p.getArray().toFloatArray()));
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    // random A and B (init_lora_weights=false) so every source changes the output
    private static LoraConfig.Builder source(int r, double alpha, String... targets) {
        return LoraConfig.builder().r(r).loraAlpha(alpha).initLoraWeights(LoraInit.RANDOM).targetModules(targets);
    }

    /** "a": rank 2, scaling 2, on query and value; "b": rank 3, scaling 0.5, on query and key. */
    private PeftModel twoAdapters() {
        PeftModel peft = PeftModel.wrap(net, "a", source(2, 4, "query", "value").build());
        peft.addAdapter("b", source(3, 1.5, "query", "key").build());
        return peft;
    }

    private float[] run(Block block) {
        try (NDManager sub = manager.newSubManager()) {
            NDArray in = x.duplicate();
            in.attach(sub);
            return block.forward(new ParameterStore(sub, false), new NDList(in), false).singletonOrThrow().toFloatArray();
        }
    }

    private static double[] toDouble(NDArray a) {
        float[] f = a.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    // sum_i w_i s_i B_i A_i per layer path, row-major [out, in], in double
    private static Map<String, double[]> weightedDeltas(PeftModel peft, List<String> names, double[] w) {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (AdapterHost h : peft.hosts()) {
            for (int k = 0; k < names.size(); k++) {
                LoraAdapter ad = (LoraAdapter) h.adapter(names.get(k));
                if (ad == null) {
                    continue;
                }
                double[] product = product(toDouble(ad.loraB().getArray()), toDouble(ad.loraA().getArray()), ad.rank());
                double[] sum = out.computeIfAbsent(h.path(), p -> new double[product.length]);
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += w[k] * ad.scaling() * product[i];
                }
            }
        }
        return out;
    }

    // B [out, r] times A [r, in], both row-major, for HIDDEN x HIDDEN layers
    private static double[] product(double[] b, double[] a, int r) {
        double[] out = new double[HIDDEN * HIDDEN];
        for (int i = 0; i < HIDDEN; i++) {
            for (int j = 0; j < HIDDEN; j++) {
                double s = 0;
                for (int p = 0; p < r; p++) {
                    s += b[i * r + p] * a[p * HIDDEN + j];
                }
                out[i * HIDDEN + j] = s;
            }
        }
        return out;
    }

    // the base network with W + delta on each layer, as a plain (unwrapped) block
    private TinyNet baseWith(Map<String, double[]> deltas) {
        TinyNet ref = new TinyNet(manager, HIDDEN, 2, 3);
        for (Map.Entry<String, Parameter> e : BlockPaths.parameters(ref).entrySet()) {
            float[] values = baseWeights.get(e.getKey()).clone();
            String key = e.getKey();
            String layer = key.endsWith(".weight") ? key.substring(0, key.length() - ".weight".length()) : null;
            if (layer != null && deltas.containsKey(layer)) {
                double[] d = deltas.get(layer);
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) (values[i] + d[i]);
                }
            }
            NDArray target = e.getValue().getArray();
            target.set(values);
        }
        return ref;
    }

    private TinyNet plainBase() {
        return baseWith(Map.of());
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @Test
    void catGivesTheBasePlusTheWeightedSumOfDeltaWeights() {
        PeftModel peft = twoAdapters();
        float[] expected = run(baseWith(weightedDeltas(peft, List.of("a", "b"), W)));
        AdapterCombination.builder(CombinationType.CAT).weights(W).build().addWeightedAdapter(peft, List.of("a", "b"), "ab");
        peft.setActiveAdapters("ab");
        // the model computes x A^T B^T in float32, the reference x (W + Delta W)^T with Delta W rounded
        // once to float32: outputs of order 1 after two layers differ by float32 round-off, ~1e-6
        double diff = maxAbsDiff(expected, run(peft.block()));
        assertTrue(diff < 1e-5, "max |difference| " + diff);
    }

    @Test
    void svdAtTheSumOfRanksGivesTheBasePlusTheWeightedSumOfDeltaWeights() {
        PeftModel peft = twoAdapters();
        float[] expected = run(baseWith(weightedDeltas(peft, List.of("a", "b"), W)));
        AdapterCombination.builder(CombinationType.SVD).weights(W).svdRank(5).build()
                .addWeightedAdapter(peft, List.of("a", "b"), "ab");
        peft.setActiveAdapters("ab");
        // every layer's combined Delta W has rank <= 2 + 3 = 5, so the exact rank-5 SVD (LAPACK,
        // float32) reproduces it to float32 round-off; the outputs then agree as for cat, 1e-5
        double diff = maxAbsDiff(expected, run(peft.block()));
        assertTrue(diff < 1e-5, "max |difference| " + diff);
    }

    @Test
    void oneAdapterWithANegativeWeightGivesThatWeightTimesItsDeltaWeight() {
        PeftModel peft = twoAdapters();
        float[] expected = run(baseWith(weightedDeltas(peft, List.of("b"), new double[] {-0.5})));
        // PEFT: one adapter means linear; Delta W_new = w Delta W, a negative w negates (#2918)
        AdapterCombination.builder(CombinationType.TIES).weights(-0.5).density(0.5).build()
                .addWeightedAdapter(peft, List.of("b"), "minus-half-b");
        peft.setActiveAdapters("minus-half-b");
        // as for cat: float32 round-off of order-1 outputs, 1e-5
        double diff = maxAbsDiff(expected, run(peft.block()));
        assertTrue(diff < 1e-5, "max |difference| " + diff);
    }

    @Test
    void linearCombinesAAndBSeparatelySoItsUpdateHoldsCrossTerms() {
        PeftModel peft = PeftModel.wrap(net, "a", source(2, 4, "query").build());
        peft.addAdapter("b", source(2, 1, "query").build());
        // PEFT's formula: A = sum_i sign(w_i s_i) sqrt|w_i s_i| A_i, B = sum_i sqrt|w_i s_i| B_i
        List<String> names = List.of("a", "b");
        Map<String, double[]> crossTermDelta = new LinkedHashMap<>();
        for (AdapterHost query : peft.hosts()) {
            double[] a = new double[2 * HIDDEN];
            double[] b = new double[HIDDEN * 2];
            for (int k = 0; k < 2; k++) {
                LoraAdapter ad = (LoraAdapter) query.adapter(names.get(k));
                double ws = W[k] * ad.scaling();
                double[] ak = toDouble(ad.loraA().getArray());
                double[] bk = toDouble(ad.loraB().getArray());
                for (int i = 0; i < a.length; i++) {
                    a[i] += Math.signum(ws) * Math.sqrt(Math.abs(ws)) * ak[i];
                    b[i] += Math.sqrt(Math.abs(ws)) * bk[i];
                }
            }
            crossTermDelta.put(query.path(), product(b, a, 2));
        }
        float[] expected = run(baseWith(crossTermDelta));
        float[] weightedSum = run(baseWith(weightedDeltas(peft, names, W)));
        AdapterCombination.builder(CombinationType.LINEAR).weights(W).build().addWeightedAdapter(peft, names, "ab");
        peft.setActiveAdapters("ab");
        float[] actual = run(peft.block());
        // float32 round-off as for cat, 1e-5
        assertTrue(maxAbsDiff(expected, actual) < 1e-5, "max |difference| " + maxAbsDiff(expected, actual));
        // the cross terms B_a A_b, B_b A_a move the output far beyond round-off
        assertTrue(maxAbsDiff(weightedSum, actual) > 1e-3, "linear should not equal the weighted sum of updates");
    }

    @Test
    void newConfigHasRankEqualToAlphaAndTheUnionOfTargets() {
        PeftModel peft = PeftModel.wrap(net, "a",
                source(2, 4, "query", "value").useRslora(true).rankPattern("value", 4).alphaPattern("query", 3).build());
        peft.addAdapter("b", source(3, 1.5, "query", "key").build());
        LoraConfig config = AdapterCombination.builder(CombinationType.CAT).weights(W).build()
                .addWeightedAdapter(peft, List.of("a", "b"), "ab");
        // PEFT: cat rank = sum of ranks, a's counted as max(r, rank_pattern values) = 4
        assertEquals(7, config.r());
        assertEquals(7.0, config.loraAlpha());
        assertFalse(config.useRslora());
        assertTrue(config.rankPattern().isEmpty());
        assertTrue(config.alphaPattern().isEmpty());
        TargetModules targets = config.targets().targetModules();
        assertEquals(TargetModules.Kind.NAMES, targets.kind());
        assertEquals(Set.of("query", "value", "key"), Set.copyOf(targets.names()));
        assertEquals(config, peft.config("ab"));
        for (AdapterHost h : peft.hosts()) {
            LoraAdapter combined = (LoraAdapter) h.adapter("ab");
            assertEquals(1.0f, combined.scaling(), h.path());
            assertEquals(new Shape(7, HIDDEN), combined.loraA().getArray().getShape(), h.path());
        }
    }

    @Test
    void newAdapterIsAddedInactive() {
        PeftModel peft = twoAdapters();
        AdapterCombination.builder(CombinationType.CAT).weights(W).build().addWeightedAdapter(peft, List.of("a", "b"), "ab");
        assertEquals(List.of("a"), peft.activeAdapters());
        assertTrue(peft.configs().containsKey("ab"));
    }

    @Test
    void savedCombinedAdapterLoadsOntoTheBaseWithIdenticalOutputs(@TempDir Path dir) throws Exception {
        PeftModel peft = twoAdapters();
        AdapterCombination.builder(CombinationType.CAT).weights(W).build().addWeightedAdapter(peft, List.of("a", "b"), "ab");
        peft.setActiveAdapters("ab");
        float[] combined = run(peft.block());
        peft.save(dir, "ab");
        PeftModel loaded = PeftModel.load(plainBase(), dir.resolve("ab"), false);
        LoraConfig config = (LoraConfig) loaded.config(PeftModel.DEFAULT_ADAPTER);
        assertEquals(5, config.r());
        assertEquals(5.0, config.loraAlpha());
        // same base weights, same float32 factors, scaling 1: the same arithmetic, bit for bit
        assertArrayEquals(combined, run(loaded.block()));
    }

    @Test
    void unknownAdapterIsRefusedByName() {
        PeftModel peft = twoAdapters();
        PeftException e = assertThrows(PeftException.class,
                () -> AdapterCombination.builder(CombinationType.CAT).weights(W).build()
                        .addWeightedAdapter(peft, List.of("a", "c"), "ac"));
        assertTrue(e.getMessage().startsWith("Adapter c does not exist"), e.getMessage());
        assertEquals(Set.of("a", "b"), peft.configs().keySet());
    }

    @Test
    void nonLoraAdapterIsRefusedNamingItsType() {
        PeftModel peft = PeftModel.wrap(net, "xs1", LoraXsConfig.builder().r(2).targetModules("query").build());
        peft.addAdapter("xs2", LoraXsConfig.builder().r(2).targetModules("query").build());
        PeftException e = assertThrows(PeftException.class,
                () -> AdapterCombination.builder(CombinationType.CAT).weights(W).build()
                        .addWeightedAdapter(peft, List.of("xs1", "xs2"), "both"));
        assertTrue(e.getMessage().contains("Adapter xs1 is a LORA_XS adapter"), e.getMessage());
        assertEquals(Set.of("xs1", "xs2"), peft.configs().keySet());
    }

    @Test
    void unequalRanksWithLinearGivePeftsError() {
        PeftModel peft = twoAdapters();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AdapterCombination.builder(CombinationType.LINEAR).weights(W).build()
                        .addWeightedAdapter(peft, List.of("a", "b"), "ab"));
        assertTrue(e.getMessage().startsWith(
                "All adapters must have the same r value when using combination_type linear, ties, dare_ties or dare_linear."),
                e.getMessage());
        assertEquals(Set.of("a", "b"), peft.configs().keySet());
    }

    @Test
    void sourcesWithCopiesOfTheSameModuleToSaveAreRefused() {
        PeftModel peft = PeftModel.wrap(net, "a", source(2, 4, "query").modulesToSave("classifier").build());
        peft.addAdapter("b", source(2, 4, "query").modulesToSave("classifier").build());
        PeftException e = assertThrows(PeftException.class,
                () -> AdapterCombination.builder(CombinationType.CAT).weights(W).build()
                        .addWeightedAdapter(peft, List.of("a", "b"), "ab"));
        assertTrue(e.getMessage().startsWith("Cannot add weighted adapters if they target the same module with modules_to_save"),
                e.getMessage());
        assertEquals(Set.of("a", "b"), peft.configs().keySet());
    }

    @Test
    void layerSelectedByTheUnionButAdaptedByNoSourceIsRefusedAndTheModelLeftAsItWas() {
        PeftModel peft = PeftModel.wrap(net, "a", source(2, 4, "query").build());
        peft.addAdapter("b", source(2, 4, "value").layersToTransform(0).layersPattern("layer").build());
        peft.merge(true, "a");
        List<String> hostsBefore = peft.hosts().stream().map(AdapterHost::path).toList();
        Set<String> parametersBefore = BlockPaths.parameters(peft.block()).keySet();
        // the union takes a's (unrestricted) layer selection, so value of layer 1 is selected too
        PeftException e = assertThrows(PeftException.class,
                () -> AdapterCombination.builder(CombinationType.CAT).weights(W).build()
                        .addWeightedAdapter(peft, List.of("a", "b"), "ab"));
        assertTrue(e.getMessage().contains("encoder.layer.1.attention.self.value"), e.getMessage());
        assertEquals(Set.of("a", "b"), peft.configs().keySet());
        // no layer was wrapped for the refused adapter, and the merged adapter stays merged
        assertEquals(hostsBefore, peft.hosts().stream().map(AdapterHost::path).toList());
        assertEquals(parametersBefore, BlockPaths.parameters(peft.block()).keySet());
        assertEquals(List.of("a"), peft.mergedAdapters());
    }
}

package org.peft4j.lora.eva;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.dataset.Batch;
import ai.djl.translate.Batchifier;

import com.google.gson.JsonObject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.core.PeftException;
import org.peft4j.core.PeftModel;
import org.peft4j.core.adapter.AdapterHost;
import org.peft4j.core.config.JsonFields;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.core.testing.TinyNet;
import org.peft4j.lora.LoraAdapter;
import org.peft4j.lora.LoraConfig;
import org.peft4j.lora.LoraInit;
import org.peft4j.lora.linalg.Svd;
import org.peft4j.lora.linalg.SvdResult;
import org.peft4j.lora.testing.ModelRuns;
import org.peft4j.lora.testing.TinyNetFixture;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * EVA's data pass and the adapter it creates, with PEFT's semantics ({@code get_eva_state_dict},
 * {@code initialize_lora_eva_weights}; peft-semantics.md §5). On {@link TinyNet} (hidden 16) with
 * {@code r = 8, rho = 2} each PCA keeps all 16 components, so the incremental PCA is exact and
 * {@code lora_A} can be checked against the exact SVD of a layer's centred inputs.
 */
class EvaTest extends TinyNetFixture {

    private static final String Q0 = "encoder.layer.0.attention.self.query";

    EvaTest() {
        super(2024);
    }

    private static LoraConfig.Builder config() {
        return LoraConfig.builder().r(8).loraAlpha(16).targetModules("query", "key", "value", "dense")
                .modulesToSave("classifier").initLoraWeights(LoraInit.EVA);
    }

    private static EvaInitializer.Options exact() {
        return EvaInitializer.Options.defaults().withSvd(Svd::truncated).withProgress(null);
    }

    /** Inputs with a decaying spectrum, so principal directions are well separated. */
    private float[] data(int rows) {
        return manager.randomNormal(new Shape(rows, HIDDEN)).mul(manager.arange(HIDDEN, 0f, -1f)).add(0.5f).toFloatArray();
    }

    /** An iterable that yields the given row blocks as batches, each time it is iterated. */
    private Iterable<Batch> batches(float[] x, int batchRows) {
        int rows = x.length / HIDDEN;
        return () -> new Iterator<>() {
            int start;

            @Override
            public boolean hasNext() {
                return start < rows;
            }

            @Override
            public Batch next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                int size = Math.min(batchRows, rows - start);
                NDManager bm = manager.newSubManager();
                NDArray d = bm.create(java.util.Arrays.copyOfRange(x, start * HIDDEN, (start + size) * HIDDEN), new Shape(size, HIDDEN));
                start += size;
                return new Batch(bm, new NDList(d), new NDList(), size, Batchifier.STACK, Batchifier.STACK, 0, 0);
            }
        };
    }
    /** The principal directions (rows) of the centred rows of {@code x}. */
    private float[] principalDirections(float[] x) {
        try (SvdResult f = PcaChecks.exactPca(manager, x, x.length / HIDDEN, HIDDEN)) {
            return f.vt().toFloatArray();
        }
    }

    @Test
    void loraAIsTheTopPrincipalDirectionsOfTheLayerInputsAndTheOutputIsUnchanged() {
        float[] x = data(48);
        NDArray probe = manager.randomNormal(new Shape(5, HIDDEN));
        TinyNet model = net(1);
        float[] before = ModelRuns.forward(model, probe);
        // one batch, cycled: the PCA of repeated identical data is the PCA of that batch
        PeftModel peft = EvaInitializer.wrap(model, PeftModel.DEFAULT_ADAPTER, config().build(), batches(x, 48), exact());
        // lora_B = 0 (PEFT: EVA initialises lora_A only), so the model computes what it did
        assertEquals(0f, ModelRuns.maxAbsDiff(before, ModelRuns.forward(peft.block(), probe)), 1e-6f);
        LoraConfig c = (LoraConfig) peft.config("default");
        int rank = c.rankFor(Q0);
        assertTrue(rank >= 1 && rank <= 16, "rank " + rank);
        LoraAdapter q0 = (LoraAdapter) ((AdapterHost) BlockPaths.get(peft.block(), Q0)).adapter("default");
        float[] a = q0.loraA().getArray().toFloatArray();
        assertEquals(rank * HIDDEN, a.length);
        // layer 0's query reads the model input itself: its A is the data's top principal directions
        float[] v = principalDirections(x);
        for (int i = 0; i < rank; i++) {
            assertEquals(1.0, PcaChecks.absCos(a, i, v, i, HIDDEN), 1e-4, "row " + i);
        }
        assertEquals(0f, ModelRuns.maxAbs(q0.loraB().getArray().toFloatArray()), 0f);
        // the first fit has nothing to compare with; the second (same batch) gives similarity 1
        assertEquals(2, c.evaResult().forwardPasses());
    }

    @Test
    void layersSharingAnInputShareOnePcaAndTheBudgetIsKept() {
        EvaResult result = EvaInitializer.compute(net(1), config().build(), batches(data(48), 24), exact());
        Map<String, EvaResult.Layer> layers = result.layers();
        assertEquals(9, layers.size(), "query, key, value, output.dense of 2 layers and pooler.dense");
        assertEquals(Q0, layers.get("encoder.layer.0.attention.self.key").sharesInputWith());
        assertEquals(Q0, layers.get("encoder.layer.0.attention.self.value").sharesInputWith());
        assertNull(layers.get(Q0).sharesInputWith());
        assertNull(layers.get("encoder.layer.0.output.dense").sharesInputWith());
        // budget Σ r = 9 layers x 8; each layer at most round(8 · 2) = 16 components
        assertEquals(72, result.ranks().values().stream().mapToInt(Integer::intValue).sum());
        result.ranks().values().forEach(r -> assertTrue(r >= 0 && r <= 16, "rank " + r));
        // the PCA layer of a group gets the group's largest rank
        assertTrue(layers.get(Q0).rank() >= layers.get("encoder.layer.0.attention.self.key").rank());
        // two alternating batches: the components settle to tau = 0.99 only after several cycles
        assertTrue(result.forwardPasses() >= 2, "passes " + result.forwardPasses());
        // A's rows are orthonormal
        float[] a = layers.get("encoder.layer.1.output.dense").loraA();
        int r = layers.get("encoder.layer.1.output.dense").rank();
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < r; j++) {
                double dot = 0;
                for (int t = 0; t < HIDDEN; t++) {
                    dot += (double) a[i * HIDDEN + t] * a[j * HIDDEN + t];
                }
                assertEquals(i == j ? 1.0 : 0.0, dot, 1e-5, "rows " + i + ", " + j);
            }
        }
    }

    @Test
    void ranksGoToTheLargestExplainedVarianceWithGroupsFavouringTheirPcaLayer() {
        List<String> order = List.of("a", "b", "c");
        Map<String, String> hookOf = Map.of("a", "a", "b", "b", "c", "a");
        Map<String, double[]> ratios = Map.of("a", new double[] {0.5, 0.3, 0.1}, "b", new double[] {0.4, 0.05, 0.01});
        // sorted: a .5, c .5, b .4, a .3 | c .3, ... -> a 2, b 1, c 1
        assertEquals(Map.of("a", 2, "b", 1, "c", 1), EvaInitializer.distributeRanks(order, hookOf, ratios, Map.of("c", "a"), 4));
        // a layer can get rank 0
        assertEquals(Map.of("a", 2, "b", 0, "c", 2), EvaInitializer.distributeRanks(order, hookOf,
                Map.of("a", new double[] {0.5, 0.3, 0.1}, "b", new double[] {0.2, 0.05, 0.01}), Map.of("c", "a"), 4));
        // PEFT's swap: when a sharing layer got more than its PCA layer, the two counts trade places
        // (order c, a, b: c .5, a .5, b .4, c .3 -> c 2, a 1 before the swap)
        Map<String, Integer> swapped = EvaInitializer.distributeRanks(List.of("c", "a", "b"), hookOf, ratios, Map.of("c", "a"), 4);
        assertEquals(2, swapped.get("a"));
        assertEquals(1, swapped.get("c"));
    }

    @Test
    void theConfigRecordsRanksAlphasAndTargetsAndTheScalingStays() {
        PeftModel peft = EvaInitializer.wrap(net(1), PeftModel.DEFAULT_ADAPTER, config().build(), batches(data(48), 24), exact());
        LoraConfig c = (LoraConfig) peft.config("default");
        assertEquals(LoraInit.EVA, c.initLoraWeights());
        EvaResult result = c.evaResult();
        for (EvaResult.Layer l : result.layers().values()) {
            int rank = l.rank();
            AdapterHost host = BlockPaths.get(peft.block(), l.path()) instanceof AdapterHost h ? h : null;
            if (rank == 0) {
                assertNull(host, l.path() + " has rank 0 and no adapter");
                continue;
            }
            assertNotNull(host, l.path());
            assertEquals(rank, c.rankFor(l.path()), l.path());
            assertEquals(rank == 8 ? null : rank, c.rankPattern().get(l.path()), l.path());
            // adjust_scaling_factors: alpha follows the rank, so alpha / r stays 16 / 8
            assertEquals(16.0 * rank / 8, c.alphaFor(l.path()), 1e-12, l.path());
            assertEquals(2.0f, ((LoraAdapter) host.adapter("default")).scaling(), 1e-6f, l.path());
        }
        JsonObject json = c.toJson();
        assertEquals("eva", json.get("init_lora_weights").getAsString());
        JsonObject eva = json.getAsJsonObject("eva_config");
        assertEquals(2.0, eva.get("rho").getAsDouble());
        assertEquals(0.99, eva.get("tau").getAsDouble());
        assertEquals(-100, eva.get("label_mask_value").getAsInt());
        assertTrue(eva.get("use_label_mask").getAsBoolean() && eva.get("adjust_scaling_factors").getAsBoolean() && !eva.get("whiten").getAsBoolean());
        LoraConfig again = LoraConfig.fromJson(new JsonFields(json));
        assertEquals(c.rankPattern(), again.rankPattern());
        assertEquals(c.alphaPattern(), again.alphaPattern());
        assertEquals(c.evaConfig(), again.evaConfig());
        assertEquals(new java.util.TreeSet<>(c.targets().targetModules().names()), new java.util.TreeSet<>(again.targets().targetModules().names()));
    }

    @Test
    void withoutScalingAdjustmentAlphaStays() {
        LoraConfig cfg = config().evaConfig(EvaConfig.defaults().withAdjustScalingFactors(false)).build();
        PeftModel peft = EvaInitializer.wrap(net(1), PeftModel.DEFAULT_ADAPTER, cfg, batches(data(48), 24), exact());
        LoraConfig c = (LoraConfig) peft.config("default");
        assertTrue(c.alphaPattern().isEmpty(), c.alphaPattern().toString());
        assertTrue(c.rankPattern().values().stream().anyMatch(r -> r != 8), "some rank moved: " + c.rankPattern());
    }

    @Test
    void aSavedEvaAdapterReloadsToTheSameOutputs(@TempDir Path dir) throws Exception {
        PeftModel peft = EvaInitializer.wrap(net(1), PeftModel.DEFAULT_ADAPTER, config().build(), batches(data(48), 24), exact());
        // stand-in for training: give every lora_B values, so the reload is checked on a non-zero update
        for (AdapterHost h : peft.hosts()) {
            Parameter b = ((LoraAdapter) h.adapter("default")).loraB();
            b.getArray().set(manager.randomNormal(b.getArray().getShape()).mul(0.1f).toFloatArray());
        }
        NDArray probe = manager.randomNormal(new Shape(5, HIDDEN));
        float[] trained = ModelRuns.forward(peft.block(), probe);
        peft.save(dir);
        String config = Files.readString(dir.resolve("adapter_config.json"));
        assertTrue(config.contains("\"eva_config\"") && config.contains("\"rank_pattern\""), config);
        PeftModel loaded = PeftModel.load(net(1), dir, false);
        assertEquals(0f, ModelRuns.maxAbsDiff(trained, ModelRuns.forward(loaded.block(), probe)), 1e-6f);
        assertEquals(((LoraConfig) peft.config("default")).rankPattern(), ((LoraConfig) loaded.config("default")).rankPattern());
    }

    @Test
    void maskedRowsAreLeftOut() {
        float[] clean = data(48);
        // the same rows plus 8 rows of large outliers, masked out
        float[] dirty = new float[(48 + 8) * HIDDEN];
        System.arraycopy(clean, 0, dirty, 0, clean.length);
        for (int i = clean.length; i < dirty.length; i++) {
            dirty[i] = 1000f * ((i % 7) - 3);
        }
        EvaInitializer.Options masked = exact().withTokenMask(batch -> {
            long rows = batch.getData().get(0).getShape().get(0);
            float[] m = new float[(int) rows];
            for (int i = 0; i < rows; i++) {
                m[i] = batch.getData().get(0).get(i).abs().max().getFloat() < 500f ? 1f : 0f;
            }
            return batch.getManager().create(m, new Shape(rows, 1));
        });
        // one batch each, cycled: each PCA is exact for its rows
        EvaResult a = EvaInitializer.compute(net(1), config().build(), batches(clean, 48), exact());
        EvaResult b = EvaInitializer.compute(net(1), config().build(), batches(dirty, 56), masked);
        EvaResult.Layer la = a.layers().get(Q0);
        EvaResult.Layer lb = b.layers().get(Q0);
        int rank = Math.min(la.rank(), lb.rank());
        assertTrue(rank >= 1);
        for (int i = 0; i < rank; i++) {
            assertEquals(1.0, PcaChecks.absCos(la.loraA(), i, lb.loraA(), i, HIDDEN), 1e-4, "row " + i);
        }
        EvaResult unmasked = EvaInitializer.compute(net(1), config().build(), batches(dirty, 56), exact());
        assertTrue(PcaChecks.absCos(la.loraA(), 0, unmasked.layers().get(Q0).loraA(), 0, HIDDEN) < 0.99, "the outliers would move the first direction");
    }

    @Test
    void whiteningDividesEachRowByTheRootOfItsSingularValue() {
        float[] x = data(48);
        EvaResult plain = EvaInitializer.compute(net(1), config().build(), batches(x, 48), exact());
        EvaResult white = EvaInitializer.compute(net(1), config().evaConfig(EvaConfig.defaults().withWhiten(true)).build(), batches(x, 48), exact());
        EvaResult.Layer p = plain.layers().get(Q0);
        EvaResult.Layer w = white.layers().get(Q0);
        assertEquals(p.rank(), w.rank());
        double previous = 0;
        for (int i = 0; i < w.rank(); i++) {
            double norm = 0;
            for (int t = 0; t < HIDDEN; t++) {
                norm += (double) w.loraA()[i * HIDDEN + t] * w.loraA()[i * HIDDEN + t];
            }
            norm = Math.sqrt(norm);
            assertTrue(norm < 1.0 && norm > previous, "row " + i + " norm " + norm + " grows as the singular values fall");
            previous = norm;
            assertEquals(1.0, PcaChecks.absCos(p.loraA(), i, w.loraA(), i, HIDDEN), 1e-5, "row " + i + " keeps its direction");
        }
    }

    @Test
    void theModelIsLeftAsItWasAfterTheDataPassAndAfterAFailure() {
        TinyNet model = net(1);
        Block q = BlockPaths.get(model, Q0);
        EvaInitializer.compute(model, config().build(), batches(data(48), 24), exact());
        assertSame(q, BlockPaths.get(model, Q0));
        assertTrue(BlockPaths.walk(model).stream().noneMatch(n -> n.block() instanceof AdapterHost));
        assertThrows(PeftException.class, () -> EvaInitializer.compute(model, config().evaConfig(EvaConfig.defaults().withTau(1.0)).build(),
                batches(data(48), 24), exact().withMaxForwardPasses(1)));
        assertSame(q, BlockPaths.get(model, Q0));
        assertTrue(BlockPaths.walk(model).stream().noneMatch(n -> n.block() instanceof AdapterHost));
    }

    @Test
    void theDataPassLeavesNoArrayBehind() {
        TinyNet model = net(1);
        float[] x = data(48);
        int before = manager.getManagedArrays().size();
        // two alternating batches: many passes, each with inputs recorded, PCA steps and a rank redistribution
        EvaResult result = EvaInitializer.compute(model, config().build(), batches(x, 24), exact());
        assertTrue(result.forwardPasses() > 2, "passes " + result.forwardPasses());
        assertEquals(before, manager.getManagedArrays().size(), "arrays in the model's manager after " + result.forwardPasses() + " passes");
    }

    @Test
    void badInputIsRefusedByName() {
        IllegalArgumentException rho = assertThrows(IllegalArgumentException.class, () -> EvaConfig.defaults().withRho(0.5));
        assertTrue(rho.getMessage().contains("`rho` must be >= 1.0"), rho.getMessage());
        IllegalArgumentException tau = assertThrows(IllegalArgumentException.class, () -> EvaConfig.defaults().withTau(1.5));
        assertTrue(tau.getMessage().contains("`tau` must be between 0.0 and 1.0"), tau.getMessage());
        // round(8 · 3) = 24 components of a 16-feature input
        IllegalArgumentException wide = assertThrows(IllegalArgumentException.class, () -> EvaInitializer.compute(net(1),
                config().evaConfig(EvaConfig.defaults().withRho(3)).build(), batches(data(48), 24), exact()));
        assertTrue(wide.getMessage().contains("24") && wide.getMessage().contains("16 features"), wide.getMessage());
        PeftException empty = assertThrows(PeftException.class, () -> EvaInitializer.compute(net(1), config().build(), List.of(), exact()));
        assertTrue(empty.getMessage().contains("no batch"), empty.getMessage());
        // a one-shot iterable cannot be cycled
        List<Batch> once = new ArrayList<>();
        batches(data(48), 24).forEach(once::add);
        Iterator<Batch> single = once.iterator();
        Iterable<Batch> oneShot = () -> single;
        PeftException again = assertThrows(PeftException.class, () -> EvaInitializer.compute(net(1), config().build(), oneShot, exact()));
        assertTrue(again.getMessage().contains("iterated more than once"), again.getMessage());
        PeftException stuck = assertThrows(PeftException.class, () -> EvaInitializer.compute(net(1),
                config().evaConfig(EvaConfig.defaults().withTau(1.0)).build(), batches(data(48), 24), exact().withMaxForwardPasses(3)));
        assertTrue(stuck.getMessage().contains("did not converge") && stuck.getMessage().contains(Q0), stuck.getMessage());
        PeftModel wrapped = PeftModel.wrap(net(1), LoraConfig.builder().r(2).targetModules("pooler.dense").build());
        PeftException hosted = assertThrows(PeftException.class, () -> EvaInitializer.compute(wrapped.block(), config().build(), batches(data(48), 24), exact()));
        assertTrue(hosted.getMessage().contains("already holds adapters"), hosted.getMessage());
        IllegalArgumentException init = assertThrows(IllegalArgumentException.class, () -> EvaInitializer.wrap(net(1), PeftModel.DEFAULT_ADAPTER,
                config().initLoraWeights(LoraInit.DEFAULT).build(), batches(data(48), 24), exact()));
        assertTrue(init.getMessage().contains("\"eva\""), init.getMessage());
        assertFalse(EvaConfig.fromJson(EvaConfig.defaults().toJson()).whiten());
    }
}

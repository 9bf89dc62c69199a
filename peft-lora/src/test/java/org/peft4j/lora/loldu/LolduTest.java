package org.peft4j.lora.loldu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.peft4j.core.PeftException;
import org.peft4j.core.PeftModel;
import org.peft4j.core.adapter.AdapterHost;
import org.peft4j.core.config.JsonFields;
import org.peft4j.core.nn.LinearLayer;
import org.peft4j.core.testing.TinyNet;
import org.peft4j.lora.linalg.LduResult;
import org.peft4j.lora.linalg.Lu;
import org.peft4j.lora.testing.ModelRuns;
import org.peft4j.lora.testing.RectangularNet;
import org.peft4j.lora.testing.TinyNetFixture;

import java.nio.file.Path;
import java.util.Map;

/** LoLDU: the decomposition, the unchanged model at initialisation, what trains, counts, merge and files. */
class LolduTest extends TinyNetFixture {

    LolduTest() {
        super(1234);
    }

    private static LolduConfig.Builder config() {
        return LolduConfig.builder().r(6).targetModules("query", "value");
    }

    private static LolduAdapter adapter(PeftModel peft, String path) {
        return adapter(peft, path, LolduAdapter.class);
    }

    /** Perturbs z and σ the way training would, so that the adapter is no longer a no-op. */
    private static void train(PeftModel peft) {
        for (AdapterHost h : peft.hosts()) {
            LolduAdapter a = (LolduAdapter) h.adapter(PeftModel.DEFAULT_ADAPTER);
            a.z().getArray().muli(1.5f).addi(0.1f);
            a.sigma().getArray().muli(0.8f);
        }
    }

    @ParameterizedTest
    @EnumSource(LolduInit.class)
    void theModelIsUnchangedAtInitialisation(LolduInit init) {
        float[] base = ModelRuns.forward(net(1), x);
        PeftModel peft = PeftModel.wrap(net(1), config().initMethod(init).build());
        // σ·z − σ0·z0 is exactly zero at initialisation, whatever z0 is: the spec asks for 1e-5
        assertTrue(ModelRuns.maxAbsDiff(base, ModelRuns.forward(peft.block(), x)) <= 1e-5f, init.toString());
    }

    @Test
    void atFullRankTheFactorsReconstructTheWeightAndBIsThePermutedLowerFactor() {
        for (String path : new String[] {"up", "down"}) {
            // up is [10, 6] (out > in), down is [6, 10] (out < in); full rank r = 6
            PeftModel peft = PeftModel.wrap(new RectangularNet(manager, 6, 10, 3), LolduConfig.builder().r(6).targetModules(path).build());
            AdapterHost host = peft.hosts().get(0);
            NDArray w = host.base().weightCopy(manager);
            LolduAdapter a = adapter(peft, path);
            NDArray b = a.permutedLower().getArray();
            NDArray z0 = a.z().getArray();
            NDArray rebuilt = b.mul(z0.reshape(1, 6)).matMul(a.upper().getArray());
            // P·L·diag(D)·U = W within float32 round-off of a 6-pivot LU (the linalg package's bound is 1e-4 relative)
            float rel = rebuilt.sub(w).norm().getFloat() / w.norm().getFloat();
            assertTrue(rel < 1e-5f, path + ": relative error " + rel);
            try (LduResult ldu = Lu.ldu(w, manager)) {
                NDArray pl = ldu.permutationMatrix(manager).matMul(ldu.l().get(":, :6"));
                assertArrayEquals(pl.toFloatArray(), b.toFloatArray(), 0f, "B = P·L_r");
                assertArrayEquals(ldu.d().toFloatArray(), z0.toFloatArray(), 0f, "z0 = D_r for init lu");
                float[] diagonal = a.upper().getArray().get(":, :6").toFloatArray();
                for (int i = 0; i < 6; i++) {
                    assertEquals(1f, diagonal[i * 6 + i], 0f, "U_r is unit upper");
                }
            }
        }
    }

    /**
     * A {@link RectangularNet} whose {@code down} weight ({@code [6, 10]}) has its last two rows set
     * to exactly zero: rank 4, and partial pivoting leaves the zero rows for last, so pivots 4 and 5
     * are exactly zero.
     */
    private RectangularNet netWithRankFourDown() {
        Engine.getInstance().setRandomSeed(21);
        RectangularNet model = new RectangularNet(manager, 6, 10, 3);
        LinearLayer down = (LinearLayer) model.module("down");
        NDArray w = down.weightCopy(manager).duplicate();
        w.set(new NDIndex("4:, :"), 0f);
        down.setWeight(w);
        return model;
    }

    @Test
    void zeroPivotsBeyondTheFirstRDoNotPreventWrapping() {
        RectangularNet model = netWithRankFourDown();
        NDArray w = ((LinearLayer) model.module("down")).weightCopy(manager).duplicate();
        NDArray in = manager.randomNormal(new Shape(5, 6));
        float[] base = ModelRuns.forward(model, in);
        PeftModel peft = PeftModel.wrap(model, LolduConfig.builder().r(4).targetModules("down").build());
        // σ·z − σ0·z0 = 0 at initialisation (1e-5 as in the other init tests)
        assertTrue(ModelRuns.maxAbsDiff(base, ModelRuns.forward(peft.block(), in)) <= 1e-5f);
        LolduAdapter a = adapter(peft, "down");
        NDArray rebuilt = a.permutedLower().getArray().mul(a.z().getArray().reshape(1, 4)).matMul(a.upper().getArray());
        // rank 4 = r: the four leading pivots rebuild W (1e-5 relative, as at full rank above)
        float rel = rebuilt.sub(w).norm().getFloat() / w.norm().getFloat();
        assertTrue(rel < 1e-5f, "relative error " + rel);
    }

    @Test
    void aZeroPivotWithinTheFirstRIsAnErrorNamingTheLayerAndThePivot() {
        PeftException e = assertThrows(PeftException.class,
                () -> PeftModel.wrap(netWithRankFourDown(), LolduConfig.builder().r(5).targetModules("down").build()));
        assertTrue(e.getMessage().contains("down") && e.getMessage().contains("pivot 4"), e.getMessage());
    }

    @Test
    void theFirstRPivotsAreKeptInOrder() {
        PeftModel peft = PeftModel.wrap(net(2), LolduConfig.builder().r(3).targetModules("query").build());
        AdapterHost h = peft.hosts().get(0);
        try (LduResult ldu = Lu.ldu(h.base().weightCopy(manager), manager)) {
            assertArrayEquals(ldu.d().get(":3").toFloatArray(), adapter(peft, h.path()).z().getArray().toFloatArray(), 0f);
        }
    }

    @Test
    void initialDiagonalsFollowTheOfficialInitMethods() {
        PeftModel lu = PeftModel.wrap(net(3), config().build());
        float[] d = adapter(lu, "encoder.layer.0.attention.self.query").z().getArray().toFloatArray();
        double mean = 0;
        for (float v : d) {
            mean += v;
        }
        mean /= d.length;
        float[] constant = adapter(PeftModel.wrap(net(3), config().initMethod(LolduInit.CONSTANT).build()), "encoder.layer.0.attention.self.query")
                .z().getArray().toFloatArray();
        for (float v : constant) {
            assertEquals(mean, v, 1e-6);
        }
        float[] uniform = adapter(PeftModel.wrap(net(3), config().initMethod(LolduInit.UNIFORM).build()), "encoder.layer.0.attention.self.query")
                .z().getArray().toFloatArray();
        for (float v : uniform) {
            assertTrue(Math.abs(v) <= Math.abs(mean) / 2 + 1e-6, "uniform within ±|mean|/2");
        }
    }

    private static final int PIVOTS = 512;

    /**
     * A {@link RectangularNet} whose {@code down} weight ({@code [512, 600]}) is diagonally dominant:
     * {@code W[i][i] = 1 + 8·u_i} with {@code u_i ~ U(0, 1)}, off the diagonal {@code 1e-3·N(0, 1)}.
     * Partial pivoting then keeps the rows in order and the 512 pivots are about the diagonal,
     * mean ≈ 5 and standard deviation ≈ 2.3, so that mean, standard deviation and variance all differ.
     */
    private RectangularNet netWithKnownPivots() {
        Engine.getInstance().setRandomSeed(41);
        RectangularNet model = new RectangularNet(manager, PIVOTS, 600, 3);
        java.util.SplittableRandom random = new java.util.SplittableRandom(41);
        float[] w = new float[PIVOTS * 600];
        for (int i = 0; i < PIVOTS; i++) {
            for (int j = 0; j < 600; j++) {
                w[i * 600 + j] = (float) (i == j ? 1 + 8 * random.nextDouble() : 1e-3 * random.nextGaussian());
            }
        }
        ((LinearLayer) model.module("down")).setWeight(manager.create(w, new Shape(PIVOTS, 600)));
        return model;
    }

    @Test
    void normalInitDrawsZIndependentlyFromTheMeanAndSampleStdOfThePivots() {
        PeftModel peft = PeftModel.wrap(netWithKnownPivots(), LolduConfig.builder().r(PIVOTS).initMethod(LolduInit.NORMAL).targetModules("down").build());
        float[] d;
        try (LduResult ldu = Lu.ldu(peft.hosts().get(0).base().weightCopy(manager), PIVOTS, manager)) {
            d = ldu.d().toFloatArray();
        }
        float[] z = adapter(peft, "down").z().getArray().toFloatArray();
        int n = PIVOTS;
        double mean = mean(d);
        double std = sampleStd(d, mean); // official code: normal_(mean=D_r.mean(), std=D_r.std()), torch.std divides by n − 1
        double zMean = mean(z);
        double zStd = sampleStd(z, zMean);
        // z_i ~ N(mean, std²) iid, n = 512: the sample mean has standard error std/√n, the sample std relative standard
        // error 1/√(2(n − 1)) ≈ 3.1%, and the correlation with the pivots (independent draws) 1/√n ≈ 4.4%. Four
        // standard errors each: a correct draw fails with probability below 2e-4. (n versus n − 1 in std, a factor
        // 1.001 here, is below what 512 draws resolve.)
        assertEquals(mean, zMean, 4 * std / Math.sqrt(n), "mean of z vs mean(D_r) = " + mean);
        assertEquals(1.0, zStd / std, 4 / Math.sqrt(2.0 * (n - 1)), "std of z vs std(D_r) = " + std);
        double covariance = 0;
        for (int i = 0; i < n; i++) {
            covariance += (z[i] - zMean) * (d[i] - mean);
        }
        double correlation = covariance / ((n - 1) * zStd * std);
        assertEquals(0.0, correlation, 4 / Math.sqrt(n), "z is drawn, not D_r itself");
    }

    @Test
    void normalInitLeavesTheModelUnchangedBecauseTheResidualUsesTheDrawnZ() {
        Engine.getInstance().setRandomSeed(42);
        NDArray in = manager.randomNormal(new Shape(5, PIVOTS));
        float[] base = ModelRuns.forward(netWithKnownPivots(), in);
        PeftModel peft = PeftModel.wrap(netWithKnownPivots(), LolduConfig.builder().r(PIVOTS).initMethod(LolduInit.NORMAL).targetModules("down").build());
        LolduAdapter a = adapter(peft, "down");
        float[] z = a.z().getArray().toFloatArray();
        float[] d;
        try (LduResult ldu = Lu.ldu(peft.hosts().get(0).base().weightCopy(manager), PIVOTS, manager)) {
            d = ldu.d().toFloatArray();
        }
        // the draw is far from D_r (std ≈ 2.3), so a residual formed with D_r (the official code's zeros/ones/s_* path)
        // would change W by σ0·B·diag(z − D_r)·A and the output with it
        assertTrue(ModelRuns.maxAbsDiff(z, d) > 1f, "z differs from D_r");
        // the frozen residual W − σ0·B·diag(z0)·A uses z0 = the drawn z
        assertArrayEquals(z, a.stateTensors().get(LolduAdapter.KEY_Z_INIT).getArray().toFloatArray(), 0f);
        assertTrue(ModelRuns.maxAbsDiff(base, ModelRuns.forward(peft.block(), in)) <= 1e-5f, "unchanged at initialisation (1e-5)");
    }

    private static double mean(float[] values) {
        double sum = 0;
        for (float v : values) {
            sum += v;
        }
        return sum / values.length;
    }

    private static double sampleStd(float[] values, double mean) {
        double ss = 0;
        for (float v : values) {
            ss += (v - mean) * (v - mean);
        }
        return Math.sqrt(ss / (values.length - 1));
    }

    @Test
    void onlyZAndSigmaReceiveGradients() {
        PeftModel peft = PeftModel.wrap(net(4), config().build());
        Map<String, Parameter> trainable = ModelRuns.trainable(peft.block());
        assertEquals(8, trainable.size(), trainable.keySet().toString());
        trainable.keySet().forEach(k -> assertTrue(k.endsWith("." + LolduAdapter.KEY_Z) || k.endsWith("." + LolduAdapter.KEY_SIGMA), k));
        ModelRuns.backward(peft.block(), x);
        trainable.values().forEach(p -> assertTrue(p.getArray().getGradient().abs().sum().getFloat() > 0, p.getName()));
        LolduAdapter a = adapter(peft, "encoder.layer.0.attention.self.value");
        assertFalse(a.upper().getArray().hasGradient());
        assertFalse(a.permutedLower().getArray().hasGradient());
    }

    @Test
    void trainsRPlusOneValuesPerMatrixOrRWithoutSigma() {
        assertEquals(4L * (6 + 1), PeftModel.wrap(net(5), config().build()).trainableParameters().trainable());
        PeftModel zOnly = PeftModel.wrap(net(5), config().trainSigma(false).build());
        assertEquals(4L * 6, zOnly.trainableParameters().trainable());
        ModelRuns.backward(zOnly.block(), x);
        assertFalse(adapter(zOnly, "encoder.layer.0.attention.self.query").sigma().getArray().hasGradient());
    }

    @Test
    void mergeWritesTheEffectiveWeightAndUnmergeRestoresTheBase() {
        PeftModel peft = PeftModel.wrap(net(6), config().build());
        train(peft);
        // the base weight is never rewritten, so with the adapter off the model is exactly the original
        try (PeftModel.DisabledAdapters off = peft.disableAdapters()) {
            assertArrayEquals(ModelRuns.forward(net(6), x), ModelRuns.forward(peft.block(), x), 0f, "disabled = the original base");
        }
        Map<String, float[]> weights = ModelRuns.snapshot(peft.block());
        float[] unmerged = ModelRuns.forward(peft.block(), x);
        peft.merge(true);
        assertTrue(ModelRuns.maxAbsDiff(unmerged, ModelRuns.forward(peft.block(), x)) < 1e-5f, "merged = unmerged within float32 round-off");
        peft.unmerge();
        ModelRuns.snapshot(peft.block()).forEach((k, v) -> assertArrayEquals(weights.get(k), v, 1e-6f, k));
    }

    @Test
    void saveAndLoadOnTheOriginalBaseReproduceTheTrainedModel(@TempDir Path dir) throws Exception {
        PeftModel peft = PeftModel.wrap(net(7), config().initMethod(LolduInit.UNIFORM).modulesToSave("classifier").build());
        train(peft);
        float[] expected = ModelRuns.forward(peft.block(), x);
        peft.save(dir);
        Engine.getInstance().setRandomSeed(4321); // a different draw of z0 must not matter: it is read from the file
        PeftModel loaded = PeftModel.load(net(7), dir, false);
        assertArrayEquals(expected, ModelRuns.forward(loaded.block(), x), 0f);
    }

    @Test
    void aConfigParsedFromJsonInitialisesFromTheWeights() {
        LolduConfig parsed = LolduConfig.fromJson(new JsonFields(config().build().toJson()));
        TinyNet model = net(9);
        float[] base = ModelRuns.forward(model, x);
        PeftModel peft = PeftModel.wrap(model, parsed);
        AdapterHost h = peft.hosts().get(0);
        // LoLDU leaves the base weight as it was, so the host's weight is the original W
        try (LduResult ldu = Lu.ldu(h.base().weightCopy(manager), manager)) {
            // as for a built config: z0 = D_r exactly (same LAPACK elimination), not a placeholder
            assertArrayEquals(ldu.d().get(":6").toFloatArray(), adapter(peft, h.path()).z().getArray().toFloatArray(), 0f);
        }
        assertTrue(ModelRuns.maxAbsDiff(base, ModelRuns.forward(peft.block(), x)) <= 1e-5f, "unchanged at initialisation (1e-5)");
    }

    @Test
    void anAdapterWaitingForItsFileRefusesToRunOrMergeUntilLoaded(@TempDir Path dir) throws Exception {
        PeftModel.wrap(net(10), config().build()).save(dir);
        PeftModel waiting = PeftModel.wrap(net(10), org.peft4j.core.format.AdapterFiles.readConfig(dir));
        PeftException run = assertThrows(PeftException.class, () -> ModelRuns.forward(waiting.block(), x));
        assertTrue(run.getMessage().startsWith("LOLDU adapter: loldu_A") && run.getMessage().contains("PeftModel.load"), run.getMessage());
        assertThrows(PeftException.class, () -> waiting.merge(true));
    }

    @Test
    void configRoundTripsThroughJsonAndBadValuesNameTheField() {
        LolduConfig c = LolduConfig.builder().r(384).loraAlpha(1).initMethod(LolduInit.NORMAL).trainSigma(false).targetModules("query").build();
        LolduConfig back = LolduConfig.fromJson(new JsonFields(c.toJson()));
        assertEquals(c.toJson(), back.toJson());
        assertEquals(1.0 / 384, back.initialSigma(), 1e-15);
        assertEquals(1.0, config().build().initialSigma(), 0, "lora_alpha defaults to r: σ0 = 1");
        com.google.gson.JsonObject json = c.toJson();
        json.addProperty("init_method", "zeros");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LolduConfig.fromJson(new JsonFields(json)));
        assertTrue(e.getMessage().startsWith("init_method:") && e.getMessage().contains("\"uniform\""), e.getMessage());
        PeftException rank = assertThrows(PeftException.class, () -> PeftModel.wrap(net(8), config().r(17).build()));
        assertTrue(rank.getMessage().startsWith("r: 17"), rank.getMessage());
    }
}

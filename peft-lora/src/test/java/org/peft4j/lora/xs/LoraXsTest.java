package org.peft4j.lora.xs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;

import com.google.gson.JsonObject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.core.PeftException;
import org.peft4j.core.PeftModel;
import org.peft4j.core.config.JsonFields;
import org.peft4j.core.format.AdapterFiles;
import org.peft4j.core.testing.TinyNet;
import org.peft4j.lora.linalg.Svd;
import org.peft4j.lora.linalg.SvdResult;
import org.peft4j.lora.testing.ModelRuns;
import org.peft4j.lora.testing.RectangularNet;
import org.peft4j.lora.testing.TinyNetFixture;

import java.nio.file.Path;
import java.util.Map;

/** LoRA-XS on small nets: the SVD factors, the R-only training, counts, merge and files. */
class LoraXsTest extends TinyNetFixture {

    LoraXsTest() {
        super(1234);
    }

    private static LoraXsConfig.Builder config() {
        return LoraXsConfig.builder().r(4).targetModules("query", "value");
    }

    private static LoraXsAdapter adapter(PeftModel peft, String path) {
        return adapter(peft, path, LoraXsAdapter.class);
    }

    @Test
    void factorsAreTheBestRankRApproximationOfTheWeightWithSingularValuesInA() {
        for (String path : new String[] {"up", "down"}) {
            PeftModel peft = PeftModel.wrap(new RectangularNet(manager, 6, 10, 3), LoraXsConfig.builder().r(3).targetModules(path).build());
            NDArray adapted = peft.hosts().get(0).base().weightCopy(manager);
            LoraXsAdapter a = adapter(peft, path);
            NDArray bMat = a.loraB().getArray();
            NDArray aMat = a.loraA().getArray();
            // B = U_r has orthonormal columns (float32 SVD: 1e-5)
            NDArray gram = bMat.transpose().matMul(bMat).sub(manager.eye(3));
            assertTrue(gram.abs().max().getFloat() < 1e-5f, "BᵀB = I");
            // Eckart–Young: ||W − B·A||_F² equals the sum of the discarded squared singular values of W
            try (SvdResult full = Svd.full().decompose(adapted, manager)) {
                float[] s = full.s().toFloatArray();
                double discarded = 0;
                for (int i = 3; i < s.length; i++) {
                    discarded += (double) s[i] * s[i];
                }
                double residual = adapted.sub(bMat.matMul(aMat)).square().sum().getFloat();
                assertEquals(discarded, residual, 1e-4 * s[0] * s[0], "the residual is the discarded spectrum");
                // A = Σ_r V_rᵀ: its rows have the singular values as norms
                float[] rowNorms = aMat.square().sum(new int[] {1}).sqrt().toFloatArray();
                for (int i = 0; i < 3; i++) {
                    assertEquals(s[i], rowNorms[i], 1e-4f * s[0], "row " + i + " of A has norm S[" + i + "]");
                }
            }
        }
    }

    @Test
    void latentStartsWithTheConfiguredStandardDeviationAndTheBaseIsUnchanged() {
        TinyNet base = net(1);
        Map<String, float[]> before = ModelRuns.snapshot(base);
        PeftModel peft = PeftModel.wrap(base, LoraXsConfig.builder().r(16).targetModules("query").build());
        float[] r = adapter(peft, "encoder.layer.0.attention.self.query").latent().getArray().toFloatArray();
        double ss = 0;
        for (float v : r) {
            ss += (double) v * v;
        }
        double std = Math.sqrt(ss / r.length);
        // official code: normal_(std=0.00001); 256 draws give the std within about 1/sqrt(2·256) ≈ 4.4%, allow 20%
        assertEquals(1e-5, std, 2e-6);
        Map<String, float[]> after = ModelRuns.snapshot(peft.block());
        before.forEach((k, v) -> {
            String key = after.containsKey(k) ? k : k.replace(".weight", ".base_layer.weight").replace(".bias", ".base_layer.bias");
            assertArrayEquals(v, after.get(key), 0f, "LoRA-XS leaves " + k + " untouched");
        });
    }

    @Test
    void withZeroLatentTheModelEqualsTheBase() {
        float[] expected = ModelRuns.forward(net(2), x);
        PeftModel peft = PeftModel.wrap(net(2), config().rInitStd(0).build());
        assertArrayEquals(expected, ModelRuns.forward(peft.block(), x), 0f);
    }

    @Test
    void onlyTheLatentMatricesReceiveGradients() {
        PeftModel peft = PeftModel.wrap(net(3), config().build());
        Map<String, Parameter> trainable = ModelRuns.trainable(peft.block());
        assertEquals(4, trainable.size(), trainable.keySet().toString());
        trainable.keySet().forEach(k -> assertTrue(k.endsWith(LoraXsAdapter.KEY_R), k));
        ModelRuns.backward(peft.block(), x);
        for (Parameter p : trainable.values()) {
            assertTrue(p.getArray().getGradient().abs().sum().getFloat() > 0, "R has a gradient");
        }
        LoraXsAdapter a = adapter(peft, "encoder.layer.1.attention.self.value");
        assertFalse(a.loraA().getArray().hasGradient());
        assertFalse(a.loraB().getArray().hasGradient());
    }

    @Test
    void trainsRSquaredParametersPerMatrix() {
        PeftModel peft = PeftModel.wrap(net(4), LoraXsConfig.builder().r(5).targetModules("query", "key", "value", "dense").build());
        // 2 layers × (query, key, value, output.dense) + pooler.dense = 9 matrices
        assertEquals(9L * 5 * 5, peft.trainableParameters().trainable());
    }

    @Test
    void mergeGivesTheSameOutputsAndUnmergeRestoresTheWeights() {
        TinyNet base = net(5);
        PeftModel peft = PeftModel.wrap(base, config().rInitStd(0.3).build());
        Map<String, float[]> weights = ModelRuns.snapshot(peft.block());
        float[] unmerged = ModelRuns.forward(peft.block(), x);
        peft.merge(true);
        // float32 sums of 16 products change the last bits only: 1e-5
        assertTrue(ModelRuns.maxAbsDiff(unmerged, ModelRuns.forward(peft.block(), x)) < 1e-5f);
        peft.unmerge();
        ModelRuns.snapshot(peft.block()).forEach((k, v) -> assertArrayEquals(weights.get(k), v, 1e-6f, k));
    }

    @Test
    void saveAndLoadOnTheSameBaseGiveIdenticalOutputs(@TempDir Path dir) throws Exception {
        PeftModel peft = PeftModel.wrap(net(6), config().rInitStd(0.3).modulesToSave("classifier").build());
        float[] expected = ModelRuns.forward(peft.block(), x);
        peft.save(dir);
        JsonObject json = com.google.gson.JsonParser.parseString(java.nio.file.Files.readString(dir.resolve(AdapterFiles.CONFIG_FILE))).getAsJsonObject();
        assertEquals("LORA_XS", json.get("peft_type").getAsString());
        PeftModel loaded = PeftModel.load(net(6), dir, false);
        assertInstanceOf(LoraXsConfig.class, loaded.config(PeftModel.DEFAULT_ADAPTER));
        assertArrayEquals(expected, ModelRuns.forward(loaded.block(), x), 0f);
        assertEquals(AdapterFiles.stateDict(peft, "default").keySet(), AdapterFiles.stateDict(loaded, "default").keySet());
    }

    @Test
    void configRoundTripsThroughJson() {
        LoraXsConfig c = LoraXsConfig.builder().r(12).loraAlpha(16).loraDropout(0.1).rInitStd(2e-5).targetModules("query").build();
        LoraXsConfig back = LoraXsConfig.fromJson(new JsonFields(c.toJson()));
        assertEquals(c.toJson(), back.toJson());
        assertEquals(16.0 / 12, back.scaling(), 1e-12);
        assertEquals(1.0, LoraXsConfig.builder().r(7).targetModules("q").build().scaling(), 0, "lora_alpha defaults to r");
    }

    @Test
    void aConfigParsedFromJsonInitialisesFromTheWeights() {
        LoraXsConfig parsed = LoraXsConfig.fromJson(new JsonFields(LoraXsConfig.builder().r(3).targetModules("down").build().toJson()));
        RectangularNet model = new RectangularNet(manager, 6, 10, 3);
        NDArray w = ((org.peft4j.core.nn.LinearLayer) model.module("down")).weightCopy(manager).duplicate();
        LoraXsAdapter a = adapter(PeftModel.wrap(model, parsed), "down");
        try (SvdResult full = Svd.full().decompose(w, manager)) {
            float[] s = full.s().toFloatArray();
            // A = Σ_r V_rᵀ as for a built config: its row norms are the top singular values (1e-4·S[0], as above)
            float[] rowNorms = a.loraA().getArray().square().sum(new int[] {1}).sqrt().toFloatArray();
            for (int i = 0; i < 3; i++) {
                assertEquals(s[i], rowNorms[i], 1e-4f * s[0], "row " + i + " of A has norm S[" + i + "]");
            }
        }
        NDArray b = a.loraB().getArray();
        assertTrue(b.transpose().matMul(b).sub(manager.eye(3)).abs().max().getFloat() < 1e-5f, "B = U_r: BᵀB = I (1e-5)");
    }

    @Test
    void anAdapterWaitingForItsFileRefusesToRunOrMergeUntilLoaded(@TempDir Path dir) throws Exception {
        PeftModel.wrap(net(8), config().build()).save(dir);
        // the loader's parser leaves the factors to the file; wrapping with it and loading nothing must not
        // give a silent adapter
        PeftModel waiting = PeftModel.wrap(net(8), AdapterFiles.readConfig(dir));
        PeftException run = assertThrows(PeftException.class, () -> ModelRuns.forward(waiting.block(), x));
        assertTrue(run.getMessage().startsWith("LORA_XS adapter: lora_A.weight") && run.getMessage().contains("PeftModel.load"), run.getMessage());
        assertThrows(PeftException.class, () -> waiting.merge(true));
    }

    @Test
    void badFieldsAreErrorsNamingTheField() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> config().r(0).build()).getMessage().startsWith("r:"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> config().loraDropout(1).build()).getMessage().startsWith("lora_dropout:"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> config().rInitStd(-1).build()).getMessage().startsWith("r_init_std:"));
        PeftException e = assertThrows(PeftException.class, () -> PeftModel.wrap(net(7), config().r(17).build()));
        assertTrue(e.getMessage().startsWith("r: 17") && e.getMessage().contains("1..16"), e.getMessage());
    }
}

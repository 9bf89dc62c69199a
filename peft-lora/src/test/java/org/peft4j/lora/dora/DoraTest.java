package org.peft4j.lora.dora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.core.PeftModel;
import org.peft4j.core.adapter.AdapterHost;
import org.peft4j.core.io.SafetensorsReader;
import org.peft4j.core.nn.DenseLinear;
import org.peft4j.core.testing.TinyNet;
import org.peft4j.lora.LoraConfig;
import org.peft4j.lora.LoraInit;
import org.peft4j.lora.testing.ModelRuns;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * DoRA as PEFT implements it (peft-semantics.md §5.2): magnitude init, forward, merge, unmerge,
 * gradients, files. The expected values are computed here from the formula with plain loops; PEFT's
 * own outputs for a DoRA adapter are checked in peft-models ({@code Transformers5InteropTest}).
 */
class DoraTest {

    private static final int HIDDEN = 12;
    private NDManager manager;
    private NDArray x;

    @BeforeEach
    void setUp() {
        Engine.getInstance().setRandomSeed(77);
        manager = NDManager.newBaseManager();
        x = manager.randomNormal(new Shape(5, HIDDEN));
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private TinyNet net() {
        Engine.getInstance().setRandomSeed(3);
        return new TinyNet(manager, HIDDEN, 2, 3);
    }

    private static LoraConfig.Builder config() {
        return LoraConfig.builder().r(4).loraAlpha(8).targetModules("query", "value").useDora(true);
    }

    /** Sets every lora_B and magnitude to values that move the output (seeded). */
    private void perturb(PeftModel peft, int seed) {
        Engine.getInstance().setRandomSeed(seed);
        for (AdapterHost h : peft.hosts()) {
            DoraAdapter d = (DoraAdapter) h.adapter("default");
            NDArray b = d.lora().loraB().getArray();
            b.set(new ai.djl.ndarray.index.NDIndex("..."), manager.randomNormal(0f, 0.3f, b.getShape(), DataType.FLOAT32));
            NDArray m = d.magnitude().getArray();
            m.muli(manager.randomUniform(0.5f, 1.5f, m.getShape(), DataType.FLOAT32));
        }
    }

    @Test
    void withLoraBZeroTheModelStartsEqualToTheFrozenOne() {
        // PEFT's test_lora_use_dora_linear: default init gives the base output (float32 round-off only)
        float[] base = ModelRuns.forward(net(), x);
        PeftModel peft = PeftModel.wrap(net(), config().build());
        assertTrue(ModelRuns.maxAbsDiff(base, ModelRuns.forward(peft.block(), x)) < 1e-5f);
    }

    @Test
    void atCreationTheMagnitudeIsTheRowNormSoDoraStartsAsLoraWithTheSameFactors() {
        // with lora_B != 0 (init false) m = ‖W + s·B·A‖ makes g = 1: the layer computes W + s·B·A, i.e. LoRA
        LoraConfig.Builder c = LoraConfig.builder().r(4).loraAlpha(8).targetModules("query", "value").initLoraWeights(LoraInit.RANDOM);
        Engine.getInstance().setRandomSeed(11);
        float[] lora = ModelRuns.forward(PeftModel.wrap(net(), c.build()).block(), x);
        Engine.getInstance().setRandomSeed(11);
        float[] dora = ModelRuns.forward(PeftModel.wrap(net(), c.useDora(true).build()).block(), x);
        float[] base = ModelRuns.forward(net(), x);
        assertTrue(ModelRuns.maxAbsDiff(base, lora) > 1e-2f, "the factors move the output");
        assertTrue(ModelRuns.maxAbsDiff(lora, dora) < 1e-5f, "max diff " + ModelRuns.maxAbsDiff(lora, dora));
    }

    /** One DenseLinear [out=7, in=HIDDEN] hosting a DoRA adapter with perturbed B and m. */
    private record OneLayer(AdapterHost host, DenseLinear dense, DoraAdapter dora) {}

    private OneLayer oneLayer(double scaling, double dropout) {
        Engine.getInstance().setRandomSeed(5);
        DenseLinear dense = new DenseLinear(HIDDEN, 7, true);
        dense.initialize(manager, DataType.FLOAT32, new Shape(1, HIDDEN));
        dense.getParameters().get("bias").getArray().set(new ai.djl.ndarray.index.NDIndex("..."),
                manager.randomNormal(new Shape(7)));
        AdapterHost host = new AdapterHost("layer", dense);
        NDArray a = manager.randomNormal(0f, 0.3f, new Shape(3, HIDDEN), DataType.FLOAT32);
        NDArray b = manager.randomNormal(0f, 0.3f, new Shape(7, 3), DataType.FLOAT32);
        DoraAdapter dora = DoraAdapter.create(a, b, scaling, dropout, host.base(), manager);
        dora.magnitude().getArray().muli(manager.randomUniform(0.5f, 1.5f, new Shape(7), DataType.FLOAT32));
        host.addAdapter("default", dora);
        host.setActive(List.of("default"));
        return new OneLayer(host, dense, dora);
    }

    /** {@code g ⊙ (W + s·B·A)} from the formula, with plain loops. */
    private static float[][] expectedWeight(OneLayer l, double s) {
        float[][] w = rows(l.dense().getParameters().get("weight").getArray());
        float[][] a = rows(l.dora().lora().loraA().getArray());
        float[][] b = rows(l.dora().lora().loraB().getArray());
        float[] m = l.dora().magnitude().getArray().toFloatArray();
        float[][] out = new float[w.length][w[0].length];
        for (int o = 0; o < w.length; o++) {
            double norm = 0;
            double[] v = new double[w[0].length];
            for (int i = 0; i < v.length; i++) {
                double ba = 0;
                for (int k = 0; k < a.length; k++) {
                    ba += b[o][k] * a[k][i];
                }
                v[i] = w[o][i] + s * ba;
                norm += v[i] * v[i];
            }
            for (int i = 0; i < v.length; i++) {
                out[o][i] = (float) (m[o] / Math.sqrt(norm) * v[i]);
            }
        }
        return out;
    }

    private static float[][] rows(NDArray a) {
        int n = (int) a.getShape().get(0);
        int k = (int) a.getShape().get(1);
        float[] flat = a.toFloatArray();
        float[][] out = new float[n][k];
        for (int i = 0; i < n; i++) {
            System.arraycopy(flat, i * k, out[i], 0, k);
        }
        return out;
    }

    @Test
    void forwardIsTheLayerWithTheRescaledWeight() {
        OneLayer l = oneLayer(2.0, 0.0);
        float[][] w = expectedWeight(l, 2.0);
        float[] bias = l.dense().getParameters().get("bias").getArray().toFloatArray();
        float[][] xs = rows(x);
        float[] got = ModelRuns.forward(l.host(), x);
        double worst = 0;
        for (int t = 0; t < xs.length; t++) {
            for (int o = 0; o < w.length; o++) {
                double y = bias[o];
                for (int i = 0; i < HIDDEN; i++) {
                    y += w[o][i] * xs[t][i];
                }
                worst = Math.max(worst, Math.abs(y - got[t * w.length + o]));
            }
        }
        // float32 sums of 12 products of values near 1
        assertTrue(worst < 1e-5, "max diff " + worst);
    }

    @Test
    void mergeWritesTheRescaledWeightAndUnmergeRestoresTheFrozenOne() {
        OneLayer l = oneLayer(2.0, 0.0);
        float[] before = l.dense().getParameters().get("weight").getArray().toFloatArray();
        float[] unmergedOut = ModelRuns.forward(l.host(), x);
        float[][] expected = expectedWeight(l, 2.0);
        l.host().merge(List.of("default"), true);
        float[] merged = l.dense().getParameters().get("weight").getArray().toFloatArray();
        double worst = 0;
        for (int o = 0; o < expected.length; o++) {
            for (int i = 0; i < HIDDEN; i++) {
                worst = Math.max(worst, Math.abs(expected[o][i] - merged[o * HIDDEN + i]));
            }
        }
        assertTrue(worst < 1e-6, "merged weight max diff " + worst);
        assertTrue(ModelRuns.maxAbsDiff(unmergedOut, ModelRuns.forward(l.host(), x)) < 1e-5f, "merged output");
        l.host().unmerge();
        assertTrue(ModelRuns.maxAbsDiff(before, l.dense().getParameters().get("weight").getArray().toFloatArray()) < 1e-6f, "unmerged weight");
        assertTrue(ModelRuns.maxAbsDiff(unmergedOut, ModelRuns.forward(l.host(), x)) < 1e-5f, "unmerged output");
    }

    @Test
    void gradientsTreatTheNormAsAConstant() {
        // L = Σ y: ∂L/∂m_o = Σ_t (W x_t + s·B·A x_t)_o / n_o and ∂L/∂B_ok = s · g_o · Σ_t (A x_t)_k with the norm
        // n held constant (DoRA §4.3, PEFT's weight_norm.detach()); a norm that took part would add other terms
        double s = 2.0;
        OneLayer l = oneLayer(s, 0.0);
        for (Parameter p : l.dora().getParameters().values()) {
            p.getArray().setRequiresGradient(true);
        }
        float[][] w = rows(l.dense().getParameters().get("weight").getArray());
        float[][] a = rows(l.dora().lora().loraA().getArray());
        float[][] b = rows(l.dora().lora().loraB().getArray());
        float[] m = l.dora().magnitude().getArray().toFloatArray();
        float[][] xs = rows(x);
        try (NDManager sub = manager.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray in = x.duplicate();
            in.attach(sub);
            NDArray y = l.host().forward(new ParameterStore(sub, false), new NDList(in), true).singletonOrThrow();
            gc.backward(y.sum());
        }
        float[] gm = l.dora().magnitude().getArray().getGradient().toFloatArray();
        float[][] gb = rows(l.dora().lora().loraB().getArray().getGradient());
        double worstM = 0;
        double worstB = 0;
        for (int o = 0; o < w.length; o++) {
            double norm = 0;
            double[] v = new double[HIDDEN];
            for (int i = 0; i < HIDDEN; i++) {
                double ba = 0;
                for (int k = 0; k < a.length; k++) {
                    ba += b[o][k] * a[k][i];
                }
                v[i] = w[o][i] + s * ba;
                norm += v[i] * v[i];
            }
            norm = Math.sqrt(norm);
            double dm = 0;
            for (float[] xt : xs) {
                for (int i = 0; i < HIDDEN; i++) {
                    dm += v[i] * xt[i];
                }
            }
            worstM = Math.max(worstM, Math.abs(dm / norm - gm[o]));
            for (int k = 0; k < a.length; k++) {
                double sum = 0;
                for (float[] xt : xs) {
                    for (int i = 0; i < HIDDEN; i++) {
                        sum += a[k][i] * xt[i];
                    }
                }
                worstB = Math.max(worstB, Math.abs(s * m[o] / norm * sum - gb[o][k]));
            }
        }
        assertTrue(worstM < 1e-4, "dL/dm max diff " + worstM);
        assertTrue(worstB < 1e-4, "dL/dB max diff " + worstB);
        assertTrue(ModelRuns.maxAbs(l.dora().lora().loraA().getArray().getGradient().toFloatArray()) > 0, "lora_A gets a gradient");
    }

    @Test
    void trainingStepsMergesAndUnmergesLeaveNoArrayInTheModelsManager() {
        // DJL puts a result in its LEFT operand's manager: a product of a parameter taken the wrong way round
        // would add arrays to the model's manager at every step (djl-notes.md)
        OneLayer l = oneLayer(2.0, 0.1);
        for (Parameter p : l.dora().getParameters().values()) {
            p.getArray().setRequiresGradient(true);
        }
        int before = manager.getManagedArrays().size();
        for (int step = 0; step < 3; step++) {
            try (NDManager sub = manager.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray in = x.duplicate();
                in.attach(sub);
                // training with dropout: the path that recomputes W·x from the dropped input
                NDArray y = l.host().forward(new ParameterStore(sub, false), new NDList(in), true).singletonOrThrow();
                gc.backward(y.sum());
            }
            ModelRuns.forward(l.host(), x);
            assertEquals(before, manager.getManagedArrays().size(), "after step " + step);
        }
        l.host().merge(List.of("default"), true);
        l.host().unmerge();
        assertEquals(before, manager.getManagedArrays().size(), "after a merge and an unmerge");
        assertThrows(IllegalStateException.class, () -> l.dora().unmergedWeight(x, manager), "an adapter that is not merged");
    }

    @Test
    void onlyTheFactorsAndTheMagnitudeTrain() {
        PeftModel peft = PeftModel.wrap(net(), config().build());
        Map<String, Parameter> trainable = ModelRuns.trainable(peft.block());
        // per layer r·(in + out) + out = 4·24 + 12 = 108; 2 blocks x query, value
        assertEquals(4 * 108, peft.trainableParameters().trainable());
        assertEquals(12, trainable.size(), trainable.keySet().toString());
        assertTrue(trainable.keySet().stream().allMatch(k -> k.contains("lora_magnitude_vector") || k.contains("lora_A") || k.contains("lora_B")),
                trainable.keySet().toString());
    }

    @Test
    void savedInPeftsLayoutAndLoadedBackExactly(@TempDir Path dir) throws Exception {
        PeftModel peft = PeftModel.wrap(net(), config().build());
        perturb(peft, 9);
        float[] out = ModelRuns.forward(peft.block(), x);
        peft.save(dir);
        JsonObject cfg = JsonParser.parseString(Files.readString(dir.resolve("adapter_config.json"))).getAsJsonObject();
        assertTrue(cfg.get("use_dora").getAsBoolean());
        try (SafetensorsReader r = SafetensorsReader.open(dir.resolve("adapter_model.safetensors"))) {
            String key = "base_model.model.encoder.layer.0.attention.self.query.lora_magnitude_vector";
            assertTrue(r.names().contains(key), r.names().toString());
            assertEquals(new Shape(HIDDEN), new Shape(r.info(key).shape()));
            assertEquals(12, r.names().size(), "A, B and the magnitude of 4 layers: " + r.names());
        }
        PeftModel again = PeftModel.load(net(), dir, false);
        assertTrue(((LoraConfig) again.config("default")).useDora());
        assertEquals(0f, ModelRuns.maxAbsDiff(out, ModelRuns.forward(again.block(), x)));
        float[] mergedOut = ModelRuns.forward(again.mergeAndUnload(true), x);
        assertTrue(ModelRuns.maxAbsDiff(out, mergedOut) < 1e-5f);
    }

    @Test
    void configRoundTripsAndRefusesLoraBias() {
        LoraConfig c = config().build();
        assertTrue(c.useDora());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> config().loraBias(true).build());
        assertTrue(e.getMessage().contains("lora_bias") && e.getMessage().contains("use_dora"), e.getMessage());
    }
}

package org.peft4j.lora.pissa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.core.PeftModel;
import org.peft4j.core.adapter.AdapterHost;
import org.peft4j.core.config.JsonFields;
import org.peft4j.core.testing.TinyNet;
import org.peft4j.lora.LoraAdapter;
import org.peft4j.lora.LoraConfig;
import org.peft4j.lora.LoraInit;
import org.peft4j.lora.linalg.Svd;
import org.peft4j.lora.linalg.SvdResult;
import org.peft4j.lora.testing.ModelRuns;
import org.peft4j.lora.testing.RectangularNet;

import java.nio.file.Path;

/** PiSSA as PEFT defines it (init_lora_weights "pissa" / "pissa_niter_N", peft-semantics.md §5.1). */
class PissaTest {

    private static final int HIDDEN = 16;
    private NDManager manager;
    private NDArray x;

    @BeforeEach
    void setUp() {
        Engine.getInstance().setRandomSeed(1234);
        manager = NDManager.newBaseManager();
        x = manager.randomNormal(new Shape(5, HIDDEN));
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private TinyNet net(int seed) {
        Engine.getInstance().setRandomSeed(seed);
        return new TinyNet(manager, HIDDEN, 2, 3);
    }

    private static LoraConfig.Builder config() {
        return LoraConfig.builder().r(4).loraAlpha(8).targetModules("query", "value").initLoraWeights(LoraInit.PISSA);
    }

    @Test
    void theModelIsUnchangedAtInitialisation() {
        float[] base = ModelRuns.forward(net(1), x);
        // W_res + s·B·A re-forms W in float32: the spec asks for 1e-5
        assertTrue(ModelRuns.maxAbsDiff(base, ModelRuns.forward(PeftModel.wrap(net(1), config().build()).block(), x)) < 1e-5f);
        assertTrue(ModelRuns.maxAbsDiff(base, ModelRuns.forward(PeftModel.wrap(net(1), config().pissaNiter(4).build()).block(), x)) < 1e-5f);
    }

    @Test
    void factorsSplitThePrincipalSingularValuesAndTheBaseKeepsTheRest() {
        for (String path : new String[] {"up", "down"}) {
            RectangularNet model = new RectangularNet(manager, 6, 10, 3);
            // duplicate(): in DJL 0.36 a same-dtype toType(…, true) aliases, so weightCopy of a float32 layer is a view
            NDArray w = ((org.peft4j.core.nn.LinearLayer) model.module(path)).weightCopy(manager).duplicate();
            double scaling = 8.0 / 3;
            PeftModel peft = PeftModel.wrap(model, LoraConfig.builder().r(3).loraAlpha(8).targetModules(path).initLoraWeights(LoraInit.PISSA).build());
            AdapterHost host = peft.hosts().get(0);
            LoraAdapter adapter = (LoraAdapter) host.adapter(PeftModel.DEFAULT_ADAPTER);
            NDArray a = adapter.loraA().getArray();
            NDArray b = adapter.loraB().getArray();
            try (SvdResult full = Svd.full().decompose(w, manager)) {
                float[] s = full.s().toFloatArray();
                // A = diag(√(S_r/s))·V_rᵀ and B = U_r·diag(√(S_r/s)): A·Aᵀ = BᵀB = diag(S_r/s)
                float[] aat = a.matMul(a.transpose()).toFloatArray();
                float[] btb = b.transpose().matMul(b).toFloatArray();
                for (int i = 0; i < 3; i++) {
                    for (int j = 0; j < 3; j++) {
                        double expected = i == j ? s[i] / scaling : 0;
                        assertEquals(expected, aat[i * 3 + j], 1e-5 * s[0], "A·Aᵀ[" + i + "," + j + "]");
                        assertEquals(expected, btb[i * 3 + j], 1e-5 * s[0], "BᵀB[" + i + "," + j + "]");
                    }
                }
                // W_res = W − s·B·A holds exactly the discarded spectrum (Eckart–Young)
                double discarded = 0;
                for (int i = 3; i < s.length; i++) {
                    discarded += (double) s[i] * s[i];
                }
                NDArray residual = host.base().weightCopy(manager);
                assertEquals(discarded, residual.square().sum().getFloat(), 1e-4 * s[0] * s[0], path);
                NDArray rebuilt = residual.add(b.matMul(a).mul((float) scaling));
                assertTrue(rebuilt.sub(w).abs().max().getFloat() < 1e-5f, "W_res + s·B·A = W");
            }
        }
    }

    @Test
    void initLoraWeightsSpellingsRoundTripAsPeftWritesThem() {
        for (String value : new String[] {"pissa", "pissa_niter_4", "pissa_niter_16"}) {
            JsonObject json = config().build().toJson();
            json.add("init_lora_weights", new JsonPrimitive(value));
            LoraConfig c = LoraConfig.fromJson(new JsonFields(json));
            assertEquals(LoraInit.PISSA, c.initLoraWeights());
            assertEquals(value, c.toJson().get("init_lora_weights").getAsString());
        }
        assertNull(config().build().pissaNiter());
        assertEquals(4, config().pissaNiter(4).build().pissaNiter());
        JsonObject bad = config().build().toJson();
        bad.add("init_lora_weights", new JsonPrimitive("pissa_niter_x"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LoraConfig.fromJson(new JsonFields(bad)));
        assertTrue(e.getMessage().startsWith("init_lora_weights:") && e.getMessage().contains("pissa_niter_[N]"), e.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> config().loraBias(true).build()).getMessage().startsWith("lora_bias:"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> config().loraAlpha(-8).build()).getMessage().startsWith("lora_alpha:"));
    }

    @Test
    void loadingOntoTheOriginalBaseRecomputesTheResidualAndReproducesTheModel(@TempDir Path dir) throws Exception {
        for (LoraConfig c : new LoraConfig[] {config().build(), config().pissaNiter(2).build()}) {
            PeftModel peft = PeftModel.wrap(net(2), c);
            for (AdapterHost h : peft.hosts()) {
                ((LoraAdapter) h.adapter(PeftModel.DEFAULT_ADAPTER)).loraB().getArray().muli(1.3f); // as if trained
            }
            float[] expected = ModelRuns.forward(peft.block(), x);
            peft.save(dir);
            PeftModel loaded = PeftModel.load(net(2), dir, false);
            // the residual comes from a second SVD of the same weight (deterministic LAPACK, fixed seed for
            // the randomized variant), so only float32 round-off of the sums may differ
            assertTrue(ModelRuns.maxAbsDiff(expected, ModelRuns.forward(loaded.block(), x)) < 1e-6f, c.toJson().get("init_lora_weights").toString());
        }
    }

    @Test
    void mergeAndUnmergeWorkOnTheResidual() {
        PeftModel peft = PeftModel.wrap(net(3), config().build());
        float[] unmerged = ModelRuns.forward(peft.block(), x);
        float[] residual = peft.hosts().get(0).base().weightCopy(manager).toFloatArray();
        peft.merge(true);
        assertTrue(ModelRuns.maxAbsDiff(unmerged, ModelRuns.forward(peft.block(), x)) < 1e-5f);
        peft.unmerge();
        assertTrue(ModelRuns.maxAbsDiff(residual, peft.hosts().get(0).base().weightCopy(manager).toFloatArray()) < 1e-6f);
    }
}

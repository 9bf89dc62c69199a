package org.peft4j.lora.olora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.core.PeftException;
import org.peft4j.core.PeftModel;
import org.peft4j.core.adapter.AdapterHost;
import org.peft4j.core.nn.LinearLayer;
import org.peft4j.lora.LoraAdapter;
import org.peft4j.lora.LoraConfig;
import org.peft4j.lora.LoraInit;
import org.peft4j.lora.testing.ModelRuns;
import org.peft4j.lora.testing.RectangularNet;
import org.peft4j.lora.testing.TinyNetFixture;

import java.nio.file.Path;

/** OLoRA as PEFT defines it (init_lora_weights "olora", {@code olora_init}; peft-semantics.md §5.1). */
class OloraTest extends TinyNetFixture {

    OloraTest() {
        super(4321);
    }

    private static LoraConfig.Builder config() {
        return LoraConfig.builder().r(4).loraAlpha(8).targetModules("query", "value").initLoraWeights(LoraInit.OLORA);
    }

    @Test
    void theModelIsUnchangedAtInitialisation() {
        // PEFT's test_lora_olora_linear_init_default: atol 1e-6 on its model; W_res + s·B·A re-forms W in float32
        float[] base = ModelRuns.forward(net(1), x);
        float[] olora = ModelRuns.forward(PeftModel.wrap(net(1), config().build()).block(), x);
        assertTrue(ModelRuns.maxAbsDiff(base, olora) < 1e-5f, "max diff " + ModelRuns.maxAbsDiff(base, olora));
    }

    @Test
    void factorsAreTheLeadingColumnsOfTheQrAndTheBaseKeepsTheRest() {
        for (String path : new String[] {"up", "down"}) {
            Engine.getInstance().setRandomSeed(9);
            RectangularNet model = new RectangularNet(manager, 6, 10, 3);
            NDArray w = ((LinearLayer) model.module(path)).weightCopy(manager).duplicate();
            double scaling = 8.0 / 3;
            PeftModel peft = PeftModel.wrap(model, LoraConfig.builder().r(3).loraAlpha(8).targetModules(path).initLoraWeights(LoraInit.OLORA).build());
            AdapterHost host = peft.hosts().get(0);
            LoraAdapter adapter = (LoraAdapter) host.adapter(PeftModel.DEFAULT_ADAPTER);
            NDArray a = adapter.loraA().getArray();
            NDArray b = adapter.loraB().getArray();
            // B = Q[:, :r]: orthonormal columns
            float[] btb = b.transpose().matMul(b).toFloatArray();
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    assertEquals(i == j ? 1 : 0, btb[i * 3 + j], 1e-5, path + " BᵀB[" + i + "," + j + "]");
                }
            }
            // A = R[:r]: upper trapezoidal, and Qᵀ·W = R, so A = Bᵀ·W
            float[] af = a.toFloatArray();
            long in = a.getShape().get(1);
            for (int k = 0; k < 3; k++) {
                for (int j = 0; j < k; j++) {
                    assertEquals(0f, af[(int) (k * in + j)], path + " A[" + k + "," + j + "] below the diagonal");
                }
            }
            assertTrue(ModelRuns.maxAbsDiff(af, b.transpose().matMul(w).toFloatArray()) < 1e-5f, path + ": A = Bᵀ·W");
            // the frozen weight holds W − s·B·A
            float[] residual = host.base().weightCopy(manager).toFloatArray();
            float[] expected = w.sub(b.matMul(a).mul((float) scaling)).toFloatArray();
            assertTrue(ModelRuns.maxAbsDiff(expected, residual) < 1e-6f, path + ": residual");
        }
    }

    @Test
    void loadingOntoTheOriginalBaseRecomputesTheResidualAndReproducesTheModel(@TempDir Path dir) throws Exception {
        PeftModel peft = PeftModel.wrap(net(2), config().build());
        for (AdapterHost h : peft.hosts()) {
            ((LoraAdapter) h.adapter(PeftModel.DEFAULT_ADAPTER)).loraB().getArray().muli(1.3f); // as if trained
        }
        float[] expected = ModelRuns.forward(peft.block(), x);
        peft.save(dir);
        PeftModel loaded = PeftModel.load(net(2), dir, false);
        assertEquals("olora", loaded.config("default").toJson().get("init_lora_weights").getAsString());
        // the residual comes from a second QR of the same weight: only float32 round-off may differ
        assertTrue(ModelRuns.maxAbsDiff(expected, ModelRuns.forward(loaded.block(), x)) < 1e-6f);
        assertTrue(ModelRuns.maxAbsDiff(expected, ModelRuns.forward(loaded.mergeAndUnload(true), x)) < 1e-5f, "merged");
    }

    @Test
    void aRankBeyondTheLayerIsRefusedNamingIt() {
        PeftException e = assertThrows(PeftException.class, () -> PeftModel.wrap(net(3),
                LoraConfig.builder().r(17).targetModules("query").initLoraWeights(LoraInit.OLORA).build()));
        assertTrue(e.getMessage().contains("r: 17") && e.getMessage().contains("OLoRA") && e.getMessage().contains("1..16"), e.getMessage());
    }
}

package org.peft4j.examples.methods;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.peft4j.core.PeftModel;
import org.peft4j.core.adapter.AdapterHost;
import org.peft4j.core.testing.TinyNet;
import org.peft4j.lora.LoraConfig;
import org.peft4j.lora.dora.DoraAdapter;
import org.peft4j.quant.QuantConfig;
import org.peft4j.quant.nn.ModelQuantizer;
import org.peft4j.quant.nn.QuantizedLinear;

/**
 * DoRA on a 4-bit base (QDoRA): the norm and the frozen output use the dequantized weight, as PEFT's
 * {@code dequantize_module_weight} does, so the quantized model with a DoRA adapter computes what the
 * same adapter computes on a dense copy holding the dequantized weights.
 */
class DoraOnQuantizedBaseTest {

    private static final int HIDDEN = 64; // one NF4 block per row
    private NDManager manager;
    private NDArray x;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(21);
        x = manager.randomNormal(new Shape(6, HIDDEN));
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private TinyNet quantizedNet() {
        Engine.getInstance().setRandomSeed(4);
        TinyNet net = new TinyNet(manager, HIDDEN, 2, 3);
        ModelQuantizer.quantize(net, QuantConfig.qlora());
        return net;
    }

    private float[] forward(Block b) {
        try (NDManager sub = manager.newSubManager()) {
            NDArray in = x.duplicate();
            in.attach(sub);
            return b.forward(new ParameterStore(sub, false), new NDList(in), false).singletonOrThrow().toFloatArray();
        }
    }

    private static float maxAbsDiff(float[] a, float[] b) {
        float d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    @Test
    void doraOnTheFourBitBaseEqualsDoraOnItsDequantizedCopy() {
        TinyNet base = quantizedNet();
        float[] frozen = forward(base);
        PeftModel peft = PeftModel.wrap(quantizedNet(), LoraConfig.builder().r(4).loraAlpha(8).targetModules("query", "value").useDora(true).build());
        assertTrue(peft.hosts().get(0).baseBlock() instanceof QuantizedLinear, "the adapter wraps a 4-bit layer");
        // the magnitude starts at the dequantized weight's row norms, so with lora_B = 0 nothing changes
        assertTrue(maxAbsDiff(frozen, forward(peft.block())) < 1e-5f);

        Engine.getInstance().setRandomSeed(8);
        for (AdapterHost h : peft.hosts()) {
            DoraAdapter d = (DoraAdapter) h.adapter("default");
            NDArray b = d.lora().loraB().getArray();
            b.set(new NDIndex("..."), manager.randomNormal(0f, 0.3f, b.getShape(), DataType.FLOAT32));
            d.magnitude().getArray().muli(manager.randomUniform(0.5f, 1.5f, d.magnitude().getShape(), DataType.FLOAT32));
        }
        float[] quantized = forward(peft.block());
        assertTrue(maxAbsDiff(frozen, quantized) > 1e-2f, "the adapter moves the output");

        // the same adapters over dense layers that hold the dequantized weights
        ModelQuantizer.dequantize(peft.block());
        assertTrue(!(peft.hosts().get(0).baseBlock() instanceof QuantizedLinear), "dequantized in place");
        float[] dense = forward(peft.block());
        // both take x·Wᵀ with the same float32 W; only the summation order may differ
        assertTrue(maxAbsDiff(quantized, dense) < 1e-5f, "max diff " + maxAbsDiff(quantized, dense));
    }
}

package org.peft4j.models.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;

import org.junit.jupiter.api.Test;
import org.peft4j.core.PeftModel;
import org.peft4j.core.adapter.AdapterHost;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.lora.LoraConfig;

import java.util.List;
import java.util.Map;

/** LoRA on a tiny Llama's q_proj/v_proj: a causal-LM training loop lowers the loss on a fixed batch. */
class LlamaLoraTrainingTest {

    @Test
    void loraOnQAndVLowersTheCausalLmLossOverTwentySteps() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            Engine.getInstance().setRandomSeed(5);
            LlamaForCausalLM model = TinyLlamas.random(TinyLlamas.config().build(), manager, 11);
            PeftModel peft = PeftModel.wrap(model, LoraConfig.builder().r(4).loraAlpha(8).targetModules("q_proj", "v_proj").build());
            List<String> hosts = peft.hosts().stream().map(AdapterHost::path).toList();
            assertTrue(hosts.stream().allMatch(p -> p.matches("model\\.layers\\.\\d+\\.self_attn\\.(q|v)_proj")), hosts.toString());
            NDArray ids = TinyLlamas.ids(manager, new long[] {1, 5, 9, 13, 17, 21, 25, 29}, new long[] {1, 6, 10, 14, 18, 22, 26, 30});
            Map<String, Parameter> params = BlockPaths.parameters(peft.block());
            float first = Float.NaN;
            float last = Float.NaN;
            for (int step = 0; step < 20; step++) {
                try (NDManager sm = manager.newSubManager()) {
                    float loss;
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray l = peft.block().forward(new ParameterStore(sm, false), new NDList(ids, ids.onesLike(), ids), true).get("loss");
                        gc.backward(l);
                        loss = l.getFloat();
                    }
                    for (Parameter p : params.values()) {
                        if (p.requiresGradient()) {
                            NDArray g = p.getArray().getGradient();
                            g.attach(sm);
                            NDArray update = g.mul(0.05f);
                            update.attach(sm);
                            p.getArray().subi(update);
                            g.subi(g);
                        }
                    }
                    first = step == 0 ? loss : first;
                    last = loss;
                }
            }
            // plain SGD, lr 0.05, only the adapters train: the fixed batch's loss must fall clearly
            assertTrue(last < first * 0.95, "loss " + first + " -> " + last);
            long trainable = params.values().stream().filter(Parameter::requiresGradient).count();
            assertEquals(hosts.size() * 2L, trainable, "only lora_A and lora_B of each q_proj/v_proj train");
        }
    }
}

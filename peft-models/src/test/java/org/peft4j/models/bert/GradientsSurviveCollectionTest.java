package org.peft4j.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import ai.djl.training.loss.Loss;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.peft4j.core.PeftModel;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.core.nn.GarbagePressure;
import org.peft4j.lora.LoraConfig;
import org.peft4j.models.checkpoint.LoadOptions;

import java.util.Map;
import java.util.TreeMap;

/**
 * A LoRA training step on the tiny BERT written by transformers gives the same gradients whether or
 * not the garbage collector runs between the forward and the backward pass. Anything the forward
 * pass leaves in the graph over Java-owned memory (DJL's {@code mul(Number)} operands: LoRA's
 * scaling, the attention scale) turns the second set into garbage. Same weights, inputs and
 * dropout masks on both runs, so the gradients must be bit-identical (tolerance 0).
 */
class GradientsSurviveCollectionTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private Map<String, float[]> loraGradients(boolean collectBeforeBackward) throws InterruptedException {
        BertForSequenceClassification model = BertCheckpoints.loadForSequenceClassification(TinyBertTest.CHECKPOINT, manager,
                LoadOptions.strict()).model();
        // alpha / r = 4: the adapter output is scaled, as in every LoRA with alpha != r. The seed makes lora_A's
        // initialisation the same on both runs.
        Engine.getInstance().setRandomSeed(5);
        PeftModel peft = PeftModel.wrap(model, LoraConfig.builder().r(2).loraAlpha(8).targetModules("query", "value").build());
        Map<String, Parameter> params = BlockPaths.parameters(peft.block());
        // B starts at zero, so A's gradient would be zero: give B values (the same on both runs) so that
        // both factors get non-zero gradients
        Engine.getInstance().setRandomSeed(11);
        params.forEach((name, p) -> {
            if (name.contains("lora_B")) {
                p.getArray().set(manager.randomNormal(0f, 0.1f, p.getArray().getShape(), p.getArray().getDataType()).toFloatArray());
            }
        });
        Engine.getInstance().setRandomSeed(7); // the same BERT dropout masks on both runs
        NDList input = TinyBertTest.input(manager);
        NDArray labels = manager.create(new long[] {0, 2, 1});
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDList out = peft.block().forward(new ParameterStore(manager, false), input, true);
            NDArray loss = Loss.softmaxCrossEntropyLoss().evaluate(new NDList(labels), new NDList(out.get("logits")));
            if (collectBeforeBackward) {
                GarbagePressure.collectAndReuseFreedMemory();
            }
            gc.backward(loss);
        }
        Map<String, float[]> grads = new TreeMap<>();
        params.forEach((name, p) -> {
            if (name.contains("lora_")) {
                grads.put(name, p.getArray().getGradient().toFloatArray());
            }
        });
        return grads;
    }

    @Test
    void loraGradientsAreTheSameWithAGarbageCollectionBeforeBackward() throws InterruptedException {
        Map<String, float[]> plain = loraGradients(false);
        Map<String, float[]> collected = loraGradients(true);
        assertEquals(8, plain.size(), "lora_A and lora_B of query and value in 2 layers: " + plain.keySet());
        for (Map.Entry<String, float[]> e : plain.entrySet()) {
            float norm = 0;
            for (float v : e.getValue()) {
                norm += v * v;
            }
            assertTrue(norm > 0, e.getKey() + " has a zero gradient: the comparison would be vacuous");
            assertArrayEquals(e.getValue(), collected.get(e.getKey()), 0f, e.getKey());
        }
    }
}

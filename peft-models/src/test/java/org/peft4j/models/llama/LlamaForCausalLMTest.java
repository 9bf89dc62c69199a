package org.peft4j.models.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.core.nn.DenseWeights;
import org.peft4j.models.testing.Compare;

import java.util.Map;

class LlamaForCausalLMTest {

    NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void parameterPathsAreTheHfLlamaStateDictKeys() {
        Map<String, Parameter> untied = BlockPaths.parameters(new LlamaForCausalLM(TinyLlamas.config().build()));
        assertEquals(21, untied.size());
        assertEquals(new Shape(48, 32), untied.get("model.embed_tokens.weight").getShape());
        assertEquals(new Shape(32, 32), untied.get("model.layers.0.self_attn.q_proj.weight").getShape());
        assertEquals(new Shape(16, 32), untied.get("model.layers.0.self_attn.k_proj.weight").getShape());
        assertEquals(new Shape(16, 32), untied.get("model.layers.1.self_attn.v_proj.weight").getShape());
        assertEquals(new Shape(32, 32), untied.get("model.layers.1.self_attn.o_proj.weight").getShape());
        assertEquals(new Shape(64, 32), untied.get("model.layers.0.mlp.gate_proj.weight").getShape());
        assertEquals(new Shape(64, 32), untied.get("model.layers.0.mlp.up_proj.weight").getShape());
        assertEquals(new Shape(32, 64), untied.get("model.layers.0.mlp.down_proj.weight").getShape());
        assertEquals(new Shape(32), untied.get("model.layers.1.input_layernorm.weight").getShape());
        assertEquals(new Shape(32), untied.get("model.layers.1.post_attention_layernorm.weight").getShape());
        assertEquals(new Shape(32), untied.get("model.norm.weight").getShape());
        assertEquals(new Shape(48, 32), untied.get("lm_head.weight").getShape());

        Map<String, Parameter> tied = BlockPaths.parameters(new LlamaForCausalLM(TinyLlamas.config().tieWordEmbeddings(true).build()));
        assertEquals(20, tied.size());
        assertFalse(tied.containsKey("lm_head.weight"));
    }

    @Test
    void tiedHeadProjectsOntoTheEmbeddingTable() {
        LlamaForCausalLM model = TinyLlamas.random(TinyLlamas.config().tieWordEmbeddings(true).build(), manager, 3);
        try (NDManager batch = manager.newSubManager()) {
            NDArray ids = TinyLlamas.ids(batch, new long[] {1, 7, 9, 30});
            NDArray hidden = ((LlamaModel) model.module("model"))
                    .forward(new ai.djl.training.ParameterStore(batch, false), new ai.djl.ndarray.NDList(ids), false).head();
            NDArray table = DenseWeights.copy(BlockPaths.parameters(model).get("model.embed_tokens.weight").getArray(), batch);
            NDArray expected = hidden.matMul(table.transpose());
            assertTrue(Compare.maxAbsDiff(expected.toFloatArray(), TinyLlamas.logits(model, batch, ids).toFloatArray()) <= 1e-5);
        }
    }

    @Test
    void laterTokensDoNotChangeEarlierLogits() {
        LlamaForCausalLM model = TinyLlamas.random(TinyLlamas.config().build(), manager, 5);
        try (NDManager batch = manager.newSubManager()) {
            float[] a = TinyLlamas.logits(model, batch, TinyLlamas.ids(batch, new long[] {1, 7, 9, 30})).toFloatArray();
            float[] b = TinyLlamas.logits(model, batch, TinyLlamas.ids(batch, new long[] {1, 7, 9, 31})).toFloatArray();
            int firstThree = 3 * 48;
            assertEquals(0.0, Compare.maxAbsDiff(java.util.Arrays.copyOf(a, firstThree), java.util.Arrays.copyOf(b, firstThree)));
            assertTrue(Compare.maxAbsDiff(a, b) > 1e-3, "the last position must see its own token");
        }
    }

    @Test
    void paddedKeysAreInvisible() {
        LlamaForCausalLM model = TinyLlamas.random(TinyLlamas.config().build(), manager, 6);
        try (NDManager batch = manager.newSubManager()) {
            NDArray mask = TinyLlamas.ids(batch, new long[] {0, 1, 1, 1});
            float[] a = TinyLlamas.logits(model, batch, TinyLlamas.ids(batch, new long[] {0, 7, 9, 30}), mask).toFloatArray();
            float[] b = TinyLlamas.logits(model, batch, TinyLlamas.ids(batch, new long[] {44, 7, 9, 30}), mask).toFloatArray();
            // positions 1..3 attend to positions >= 1 only; the token under the padding does not matter
            float[] aTail = java.util.Arrays.copyOfRange(a, 48, a.length);
            float[] bTail = java.util.Arrays.copyOfRange(b, 48, b.length);
            assertTrue(Compare.maxAbsDiff(aTail, bTail) <= 1e-6);
        }
    }

    @Test
    void groupedQueryAttentionEqualsMultiHeadAttentionWithRepeatedKeyValueHeads() {
        LlamaForCausalLM grouped = TinyLlamas.random(TinyLlamas.config().build(), manager, 7);
        LlamaForCausalLM full = new LlamaForCausalLM(TinyLlamas.config().numKeyValueHeads(4).build());
        full.initialize(manager, ai.djl.ndarray.types.DataType.FLOAT32);
        Map<String, Parameter> g = BlockPaths.parameters(grouped);
        for (Map.Entry<String, Parameter> e : BlockPaths.parameters(full).entrySet()) {
            NDArray source = g.get(e.getKey()).getArray();
            if (e.getKey().endsWith("k_proj.weight") || e.getKey().endsWith("v_proj.weight")) {
                // query heads 2j and 2j+1 share key/value head j: rows [8j, 8j+8) serve both
                float[] rows = source.toFloatArray();
                float[] repeated = new float[4 * 8 * 32];
                for (int head = 0; head < 4; head++) {
                    System.arraycopy(rows, (head / 2) * 8 * 32, repeated, head * 8 * 32, 8 * 32);
                }
                e.getValue().getArray().set(repeated);
            } else {
                e.getValue().getArray().set(source.toFloatArray());
            }
        }
        try (NDManager batch = manager.newSubManager()) {
            NDArray ids = TinyLlamas.ids(batch, new long[] {1, 4, 8, 15, 16, 23, 42});
            float[] a = TinyLlamas.logits(grouped, batch, ids).toFloatArray();
            float[] b = TinyLlamas.logits(full, batch, ids).toFloatArray();
            assertTrue(Compare.maxAbsDiff(a, b) <= 1e-5, "diff " + Compare.maxAbsDiff(a, b));
        }
    }

    @Test
    void sgdStepsOnAFixedBatchLowerTheCausalLmLoss() {
        LlamaForCausalLM model = TinyLlamas.random(TinyLlamas.config().build(), manager, 11);
        NDArray ids = TinyLlamas.ids(manager, new long[] {1, 5, 9, 13, 17, 21, 25, 29}, new long[] {1, 6, 10, 14, 18, 22, 26, 30});
        float first = TinyLlamas.sgdStep(model, manager, ids, 0.05f);
        float previous = first;
        for (int i = 0; i < 4; i++) {
            float loss = TinyLlamas.sgdStep(model, manager, ids, 0.05f);
            assertTrue(loss < previous, "step " + (i + 1) + ": loss " + loss + " after " + previous);
            previous = loss;
        }
        assertTrue(previous < first);
    }

    @Test
    void trainingStepsLeaveNothingInTheModelsManager() {
        LlamaForCausalLM model = TinyLlamas.random(TinyLlamas.config().build(), manager, 12);
        try (NDManager data = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray ids = TinyLlamas.ids(data, new long[] {1, 5, 9, 13});
            TinyLlamas.sgdStep(model, data, ids, 0.01f);
            int held = ((BaseNDManager) manager).getManagedArrays().size();
            TinyLlamas.sgdStep(model, data, ids, 0.01f);
            TinyLlamas.sgdStep(model, data, ids, 0.01f);
            assertEquals(held, ((BaseNDManager) manager).getManagedArrays().size());
        }
    }

    @Test
    void greedyGenerationContinuesAMemorisedSequenceAndStopsAtEos() {
        LlamaForCausalLM model = TinyLlamas.random(TinyLlamas.config().build(), manager, 13);
        long[] sequence = {1, 5, 9, 13, 17, 21, 25, 29, 2};
        NDArray ids = TinyLlamas.ids(manager, sequence);
        float loss = Float.MAX_VALUE;
        for (int step = 0; step < 100 && loss > 0.02f; step++) {
            loss = TinyLlamas.sgdStep(model, manager, ids, 0.5f);
        }
        assertTrue(loss <= 0.02f, "the tiny model should memorise one sequence, loss " + loss);
        long[] generated = model.generateGreedy(manager, new long[] {1, 5, 9}, 20);
        assertArrayEquals(sequence, generated);
    }
}

package org.peft4j.models.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.peft4j.core.PeftModel;
import org.peft4j.core.adapter.AdapterHost;
import org.peft4j.core.io.SafetensorsReader;
import org.peft4j.lora.LoraConfig;
import org.peft4j.lora.LoraInit;
import org.peft4j.models.bert.BertCheckpoints;
import org.peft4j.models.bert.BertForSequenceClassification;
import org.peft4j.models.checkpoint.LoadOptions;
import org.peft4j.models.llama.LlamaCheckpoints;
import org.peft4j.models.llama.LlamaForCausalLM;
import org.peft4j.models.testing.JsonFixture;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Files written by Hugging Face transformers 5.17.0 and PEFT 0.21.0 (fixtures/peft-0.21, see its
 * NOTE.md) load here and give the outputs those libraries computed: two tiny Llama checkpoints in
 * transformers 5's config format (rope_parameters; llama3 rope scaling and tied embeddings in the
 * second), a tiny Mistral whose sliding window (4) is shorter than the inputs and a tiny Qwen2
 * (biases on q/k/v, tied embeddings), with a LoRA adapter each, a bfloat16 Llama saved in three shards with an index, LoRA adapters on the tiny BERT in PEFT 0.21's config format
 * (rsLoRA, rank and alpha patterns, lora_bias), PiSSA's initialisation, a PiSSA adapter as saved
 * and converted to a plain LoRA, and a DoRA adapter.
 *
 * <p>Tolerances: BERT 1e-4 absolute as in {@link PeftInteropTest}; Llama 1e-4 times the largest
 * |logit| (about 4 with these weights) on the positions the attention mask keeps; float32 on
 * both sides, only the summation order differs (observed about 4e-6 on the Llama logits).
 */
class Transformers5InteropTest {

    private static final String ROOT = "fixtures/peft-0.21/";
    private static final Path TINY_BERT = JsonFixture.dir("fixtures/tiny-bert");
    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private Map<String, float[]> expected(Path file) throws IOException {
        Map<String, float[]> m = new HashMap<>();
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            for (String k : r.names()) {
                m.put(k, r.readFloats(k));
            }
        }
        return m;
    }

    private static Map<String, float[]> run(Block model, NDList input) {
        NDList out = model.forward(new ParameterStore(input.head().getManager(), false), input, false);
        Map<String, float[]> m = new HashMap<>();
        for (NDArray a : out) {
            m.put(a.getName(), a.toFloatArray());
        }
        return m;
    }

    // ------------------------------------------------------------------ Llama

    private NDList llamaInput(NDManager m) {
        JsonFixture in = JsonFixture.load(ROOT + "llama-input.json");
        Shape s = new Shape(in.shape("input_ids"));
        return new NDList(m.create(in.longs("input_ids"), s), m.create(in.longs("attention_mask"), s));
    }

    private static void assertLogits(float[] expected, float[] actual, long[] mask, int vocab, String what) {
        assertEquals(expected.length, actual.length, what + ": size");
        double largest = 0;
        double diff = 0;
        for (int pos = 0; pos < mask.length; pos++) {
            if (mask[pos] == 0) {
                continue;
            }
            for (int v = 0; v < vocab; v++) {
                int i = pos * vocab + v;
                largest = Math.max(largest, Math.abs(expected[i]));
                diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
            }
        }
        double tol = 1e-4 * Math.max(1, largest);
        assertTrue(largest > 1, what + ": the reference logits are too small to test anything");
        assertTrue(diff <= tol, what + ": max |logit difference| " + diff + " > " + tol);
    }

    @Test
    void tinyLlamasOfTransformers5AndTheirPeftLoraReproduceTransformersLogits() throws IOException {
        long[] mask = JsonFixture.load(ROOT + "llama-input.json").longs("attention_mask");
        for (String name : List.of("tiny-llama", "tiny-llama31-tied", "tiny-mistral-window4", "tiny-qwen2-tied")) {
            Path dir = JsonFixture.dir(ROOT + name);
            Map<String, float[]> expected = expected(dir.resolve("expected_outputs.safetensors"));
            try (NDManager m = manager.newSubManager()) {
                LlamaForCausalLM model = LlamaCheckpoints.loadForCausalLM(dir, m, LoadOptions.strict()).model();
                int vocab = model.config().vocabSize();
                NDList x = llamaInput(m);
                assertLogits(expected.get("base.logits"), run(model, x).get("logits"), mask, vocab, name + " base");
                PeftModel peft = PeftModel.load(model, dir.resolve("lora"), false);
                assertLogits(expected.get("peft.logits"), run(peft.block(), x).get("logits"), mask, vocab, name + " LoRA");
                Block merged = peft.mergeAndUnload(true);
                assertLogits(expected.get("merged.logits"), run(merged, x).get("logits"), mask, vocab, name + " merged");
            }
        }
    }

    @Test
    void bfloat16CheckpointInThreeShardsLoadsWidenedAndGivesTheFloat32Logits() throws IOException {
        // as large checkpoints are published: bf16, save_pretrained with max_shard_size, an index file
        Path dir = JsonFixture.dir(ROOT + "tiny-llama-bf16-sharded");
        long[] mask = JsonFixture.load(ROOT + "llama-input.json").longs("attention_mask");
        Map<String, float[]> expected = expected(dir.resolve("expected_outputs.safetensors"));
        try (NDManager m = manager.newSubManager()) {
            LlamaForCausalLM model = LlamaCheckpoints.loadForCausalLM(dir, m, LoadOptions.strict()).model();
            for (ai.djl.nn.Parameter p : org.peft4j.core.nn.BlockPaths.parameters(model).values()) {
                assertEquals(ai.djl.ndarray.types.DataType.FLOAT32, p.getArray().getDataType(), p.getName() + " is widened to float32");
            }
            // the reference: transformers' float32 model holding the same bf16-rounded weights
            assertLogits(expected.get("base.logits"), run(model, llamaInput(m)).get("logits"), mask, model.config().vocabSize(),
                    "bf16 sharded");
        }
    }

    // ------------------------------------------------------------------ BERT

    private BertForSequenceClassification tinyBert(NDManager m) {
        return BertCheckpoints.loadForSequenceClassification(TINY_BERT, m, LoadOptions.strict()).model();
    }

    private NDList bertInput(NDManager m) {
        JsonFixture in = JsonFixture.load("fixtures/tiny-bert/input.json");
        Shape s = new Shape(in.shape("input_ids"));
        return new NDList(m.create(in.longs("input_ids"), s), m.create(in.longs("attention_mask"), s), m.create(in.longs("token_type_ids"), s));
    }

    private static void assertOutputs(Map<String, float[]> expected, String stage, Map<String, float[]> actual, String what) {
        int compared = 0;
        for (Map.Entry<String, float[]> e : expected.entrySet()) {
            if (!e.getKey().startsWith(stage + ".")) {
                continue;
            }
            String output = e.getKey().substring(stage.length() + 1);
            float[] got = actual.get(output);
            assertEquals(e.getValue().length, got.length, what + " " + output + ": size");
            double d = 0;
            for (int i = 0; i < got.length; i++) {
                d = Math.max(d, Math.abs(e.getValue()[i] - got[i]));
            }
            assertTrue(d <= 1e-4, what + " " + output + ": max abs diff " + d + " > 1e-4");
            compared++;
        }
        assertEquals(3, compared, what + ": logits, last_hidden_state and pooler_output");
    }

    /** The adapter changes the hidden states by far more than the tolerance, so the comparison can fail. */
    private static void assertVisible(Map<String, float[]> expected, String what) {
        float[] base = expected.get("base.last_hidden_state");
        float[] peft = expected.get("peft.last_hidden_state");
        double d = 0;
        for (int i = 0; i < base.length; i++) {
            d = Math.max(d, Math.abs(base[i] - peft[i]));
        }
        assertTrue(d > 1e-2, what + ": the adapter moves the hidden state by only " + d);
    }

    @Test
    void peft021LoraAdaptersOnTinyBertReproducePeftUnmergedAndMerged() throws IOException {
        for (String name : List.of("lora_qv", "lora_rslora_patterns_bias")) {
            Path dir = JsonFixture.dir(ROOT + "tiny-bert/" + name);
            Map<String, float[]> expected = expected(dir.resolve("expected_outputs.safetensors"));
            assertVisible(expected, name);
            try (NDManager m = manager.newSubManager()) {
                NDList x = bertInput(m);
                assertOutputs(expected, "base", run(tinyBert(m), x), name + " base");
                PeftModel peft = PeftModel.load(tinyBert(m), dir, false);
                assertOutputs(expected, "peft", run(peft.block(), x), name + " unmerged");
                assertOutputs(expected, "merged", run(peft.mergeAndUnload(true), x), name + " merged");
            }
        }
    }

    @Test
    void adaptersTrainedFromEvaOrOrthogonalInitLoadAsTheLoraTheyAre(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        // Neither init changes the base weights, so a trained folder is plain LoRA whatever its init_lora_weights
        // says: PEFT's lora_qv, relabelled as PEFT writes these inits, must still give PEFT's outputs
        Path source = JsonFixture.dir(ROOT + "tiny-bert/lora_qv");
        Map<String, float[]> expected = expected(source.resolve("expected_outputs.safetensors"));
        for (String init : List.of("\"eva\", \"eva_config\": {\"rho\": 2.0}", "\"orthogonal\"")) {
            Path dir = java.nio.file.Files.createDirectories(tmp.resolve(init.substring(1, 4)));
            java.nio.file.Files.copy(source.resolve("adapter_model.safetensors"), dir.resolve("adapter_model.safetensors"));
            String config = java.nio.file.Files.readString(source.resolve("adapter_config.json"));
            String relabelled = config.replaceFirst("\"init_lora_weights\": true", "\"init_lora_weights\": " + init);
            assertTrue(!relabelled.equals(config), "the fixture's config says init_lora_weights true");
            java.nio.file.Files.writeString(dir.resolve("adapter_config.json"), relabelled.replaceFirst("\"eva_config\": null,\\s*", ""));
            try (NDManager m = manager.newSubManager()) {
                PeftModel peft = PeftModel.load(tinyBert(m), dir, false);
                assertOutputs(expected, "peft", run(peft.block(), bertInput(m)), "lora_qv as init " + init);
            }
        }
    }

    @Test
    void peft021RsloraPatternsAndLoraBiasAreRead() throws IOException {
        Path dir = JsonFixture.dir(ROOT + "tiny-bert/lora_rslora_patterns_bias");
        try (NDManager m = manager.newSubManager()) {
            PeftModel peft = PeftModel.load(tinyBert(m), dir, false);
            LoraConfig c = (LoraConfig) peft.config("default");
            assertTrue(c.useRslora() && c.loraBias(), "use_rslora and lora_bias");
            assertEquals(Map.of("key", 2, "intermediate.dense", 6), c.rankPattern());
            assertEquals(Map.of("value", 3.0), c.alphaPattern());
        }
    }

    @Test
    void doraAdapterOfPeft021ReproducesPeftUnmergedAndMerged() throws IOException {
        // use_dora=True, r=4 on query/value; lora_B randomised after PEFT's init, so the magnitude (row norms of
        // W at init) and ‖W + s·B·A‖ differ and the rescaling shows in the outputs
        Path dir = JsonFixture.dir(ROOT + "tiny-bert/dora_qv");
        Map<String, float[]> expected = expected(dir.resolve("expected_outputs.safetensors"));
        assertVisible(expected, "dora_qv");
        try (NDManager m = manager.newSubManager()) {
            NDList x = bertInput(m);
            PeftModel peft = PeftModel.load(tinyBert(m), dir, false);
            assertTrue(((LoraConfig) peft.config("default")).useDora(), "use_dora is read");
            assertOutputs(expected, "peft", run(peft.block(), x), "dora_qv unmerged");
            assertOutputs(expected, "merged", run(peft.mergeAndUnload(true), x), "dora_qv merged");
        }
        try (NDManager m = manager.newSubManager()) {
            // the same factors read as plain LoRA (magnitude dropped) must miss PEFT's outputs: the magnitude matters
            PeftModel peft = PeftModel.load(tinyBert(m), dir, false);
            peft.hosts().forEach(h -> ((org.peft4j.lora.dora.DoraAdapter) h.adapter("default")).magnitude().getArray()
                    .set(new ai.djl.ndarray.index.NDIndex("..."), 0f));
            float[] zeroed = run(peft.block(), bertInput(m)).get("last_hidden_state");
            float[] want = expected.get("peft.last_hidden_state");
            double d = 0;
            for (int i = 0; i < want.length; i++) {
                d = Math.max(d, Math.abs(want[i] - zeroed[i]));
            }
            assertTrue(d > 1e-2, "zeroing the magnitudes changes the output by " + d);
        }
    }

    @Test
    void pissaInitialisationMatchesPeftsFactorsAndResidual() throws IOException {
        Path dir = JsonFixture.dir(ROOT + "tiny-bert/pissa");
        Map<String, float[]> init = expected(dir.resolve("pissa_init_tensors.safetensors"));
        try (NDManager m = manager.newSubManager()) {
            // the config PEFT was given (peft_interop.py make_bert)
            PeftModel peft = PeftModel.wrap(tinyBert(m), LoraConfig.builder().r(4).loraAlpha(8)
                    .targetModules("query", "value", "intermediate.dense").initLoraWeights(LoraInit.PISSA).build());
            int checked = 0;
            for (AdapterHost h : peft.hosts()) {
                String p = h.path();
                NDArray a = h.adapter("default").stateTensors().get("lora_A.weight").getArray();
                NDArray b = h.adapter("default").stateTensors().get("lora_B.weight").getArray();
                NDArray theirA = m.create(init.get(p + ".lora_A"), a.getShape());
                NDArray theirB = m.create(init.get(p + ".lora_B"), b.getShape());
                // each singular pair's sign is free (LAPACK builds differ), so compare B A, which fixes it
                double product = theirB.matMul(theirA).sub(b.matMul(a)).abs().max().getFloat();
                assertTrue(product <= 1e-5, p + ": B A differs from PEFT's by " + product);
                // and |A|, |B| entry by entry: the same split of sqrt(S / scaling) between the factors
                double absA = theirA.abs().sub(a.abs()).abs().max().getFloat();
                double absB = theirB.abs().sub(b.abs()).abs().max().getFloat();
                assertTrue(absA <= 1e-5 && absB <= 1e-5, p + ": |A| differs by " + absA + ", |B| by " + absB);
                float[] residual = h.base().weightCopy(m).toFloatArray();
                float[] theirs = init.get(p + ".weight_residual");
                double r = 0;
                double moved = 0;
                float[] original = init.get(p + ".weight_original");
                for (int i = 0; i < residual.length; i++) {
                    r = Math.max(r, Math.abs(residual[i] - theirs[i]));
                    moved = Math.max(moved, Math.abs(original[i] - theirs[i]));
                }
                assertTrue(r <= 1e-6, p + ": residual weight differs from PEFT's by " + r);
                assertTrue(moved > 1e-3, p + ": PiSSA moved the weight by only " + moved);
                checked++;
            }
            assertEquals(6, checked, "query, value and intermediate.dense of two layers");
        }
    }

    @Test
    void pissaAdapterAsSavedAndConvertedToLoraReproduceTheTunedModel() throws IOException {
        Path dir = JsonFixture.dir(ROOT + "tiny-bert/pissa");
        Map<String, float[]> expected = expected(dir.resolve("expected_outputs.safetensors"));
        assertVisible(expected, "pissa");
        try (NDManager m = manager.newSubManager()) {
            NDList x = bertInput(m);
            // as saved: init_lora_weights "pissa", loaded onto the original base (re-runs the SVD)
            PeftModel asPissa = PeftModel.load(tinyBert(m), dir.resolve("as_pissa"), false);
            assertOutputs(expected, "peft", run(asPissa.block(), x), "PiSSA as saved");
            // converted by PEFT to a plain LoRA of rank 2r on the original weights
            PeftModel converted = PeftModel.load(tinyBert(m), dir.resolve("converted"), false);
            assertEquals(8, ((LoraConfig) converted.config("default")).r());
            assertOutputs(expected, "peft", run(converted.block(), x), "PiSSA converted to LoRA");
            assertOutputs(expected, "peft", run(converted.mergeAndUnload(true), x), "PiSSA converted, merged");
        }
    }
}

package org.peft4j.models.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.core.PeftModel;
import org.peft4j.core.format.AdapterFiles;
import org.peft4j.core.io.SafetensorsReader;
import org.peft4j.core.io.TensorInfo;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.lora.LoraConfig;
import org.peft4j.models.bert.BertCheckpoints;
import org.peft4j.models.bert.BertForSequenceClassification;
import org.peft4j.models.checkpoint.LoadOptions;
import org.peft4j.models.checkpoint.SafetensorsTensorSource;
import org.peft4j.models.pretrained.Pretrained;
import org.peft4j.models.pretrained.PretrainedModels;
import org.peft4j.models.testing.Compare;
import org.peft4j.models.testing.JsonFixture;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Adapters written by the real HF PEFT run here and reproduce PEFT's own outputs, unmerged, merged
 * and disabled; an adapter written here has PEFT's keys, shapes, dtypes and config fields.
 * Tolerances: 1e-4 for tiny-bert and 2e-4 for MiniLM (float32 on both sides; only summation order
 * differs; the fixture's own numpy cross-check of MiniLM differs by 2.4e-6).
 */
class PeftInteropTest {

    private static final String ADAPTERS = "fixtures/peft-adapters/";
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

    private static JsonObject json(String resource) {
        try {
            return JsonParser.parseString(Files.readString(JsonFixture.dir(resource).resolve("expected_outputs.json"), StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static float[] floats(JsonElement e) {
        List<Double> out = new ArrayList<>();
        flatten(e, out);
        float[] f = new float[out.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = out.get(i).floatValue();
        }
        return f;
    }

    private static void flatten(JsonElement e, List<Double> out) {
        if (e.isJsonArray()) {
            e.getAsJsonArray().forEach(x -> flatten(x, out));
        } else {
            out.add(e.getAsDouble());
        }
    }

    private NDList input(NDManager m, String resource) {
        JsonFixture in = JsonFixture.load(resource);
        Shape s = new Shape(in.shape("input_ids"));
        return new NDList(m.create(in.longs("input_ids"), s), m.create(in.longs("attention_mask"), s), m.create(in.longs("token_type_ids"), s));
    }

    private Map<String, float[]> run(Block model, String inputResource) {
        try (NDManager batch = manager.newSubManager()) {
            NDList out = model.forward(new ParameterStore(batch, false), input(batch, inputResource), false);
            Map<String, float[]> m = new TreeMap<>();
            for (NDArray a : out) {
                m.put(a.getName(), a.toFloatArray());
            }
            return m;
        }
    }

    private static void assertOutputs(JsonObject expected, Map<String, float[]> actual, double tol, String what) {
        for (String k : expected.keySet()) {
            double d = Compare.maxAbsDiff(floats(expected.get(k)), actual.get(k));
            assertTrue(d <= tol, what + " " + k + ": max abs diff " + d + " > " + tol);
        }
    }

    private BertForSequenceClassification tinyBert() {
        return BertCheckpoints.loadForSequenceClassification(TINY_BERT, manager, LoadOptions.strict()).model();
    }

    private static final String TINY_INPUT = "fixtures/tiny-bert/input.json";

    @Test
    void tinyBertAdaptersReproducePeftUnmergedMergedAndDisabled() throws IOException {
        Map<String, float[]> base = run(tinyBert(), TINY_INPUT);
        JsonFixture baseFixture = JsonFixture.load("fixtures/tiny-bert/base_outputs.json");
        for (String name : List.of("tiny-bert/lora_qv", "tiny-bert/lora_all_linear_rslora")) {
            JsonObject expected = json(ADAPTERS + name);
            PeftModel peft = PeftModel.load(tinyBert(), JsonFixture.dir(ADAPTERS + name), false);
            assertOutputs(expected.getAsJsonObject("peft"), run(peft.block(), TINY_INPUT), 1e-4, name + " unmerged");
            try (PeftModel.DisabledAdapters off = peft.disableAdapters()) {
                Map<String, float[]> disabled = run(peft.block(), TINY_INPUT);
                assertTrue(Compare.maxAbsDiff(base.get("logits"), disabled.get("logits")) <= 1e-6, name + " disabled == base");
                assertTrue(Compare.maxAbsDiff(baseFixture.floats("last_hidden_state"), disabled.get("last_hidden_state")) <= 1e-4);
            }
            Block merged = peft.mergeAndUnload(true);
            assertOutputs(expected.getAsJsonObject("merged"), run(merged, TINY_INPUT), 1e-4, name + " merged");
            assertMergedWeights(merged, JsonFixture.dir(ADAPTERS + name).resolve("loaded_then_merged_weights.safetensors"));
        }
    }

    private static void assertMergedWeights(Block merged, Path file) throws IOException {
        Map<String, ai.djl.nn.Parameter> params = BlockPaths.parameters(merged);
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            for (String k : r.names()) {
                // PEFT merges W + s·B·A in float32; our product may round differently in the last bit
                double d = Compare.maxAbsDiff(r.readFloats(k), params.get(k).getArray().toFloatArray());
                assertTrue(d <= 1e-6, k + ": merged weight differs by " + d);
            }
        }
    }

    /** The tiny BERT with PEFT's "default" (the folder) and "second" (its sub-folder) loaded. */
    private PeftModel twoAdapters(String dir) throws IOException {
        PeftModel peft = PeftModel.load(tinyBert(), JsonFixture.dir(dir), false);
        peft.loadAdapter(JsonFixture.dir(dir).resolve("second"), "second", false);
        return peft;
    }

    @Test
    void twoAdaptersInOneFolderLoadSwitchAndDisableAsPeftDid() throws IOException {
        String dir = ADAPTERS + "tiny-bert/lora_two_adapters";
        JsonObject expected = json(dir);
        PeftModel peft = twoAdapters(dir);
        assertOutputs(expected.getAsJsonObject("only_default_active"), run(peft.block(), TINY_INPUT), 1e-4, "default");
        peft.setActiveAdapters("second");
        assertOutputs(expected.getAsJsonObject("only_second_active"), run(peft.block(), TINY_INPUT), 1e-4, "second");
        try (PeftModel.DisabledAdapters off = peft.disableAdapters()) {
            assertOutputs(expected.getAsJsonObject("adapters_disabled"), run(peft.block(), TINY_INPUT), 1e-4, "disabled");
        }
        for (String adapter : List.of("default", "second")) {
            PeftModel fresh = twoAdapters(dir);
            fresh.setActiveAdapters(adapter);
            Block merged = fresh.mergeAndUnload(true);
            assertOutputs(expected.getAsJsonObject("merged_" + adapter), run(merged, TINY_INPUT), 1e-4, "merged " + adapter);
        }
    }

    @Test
    void mixedAdapterBatchGivesEachSamplePeftsOutputForItsAdapter() throws IOException {
        // PEFT's adapter_names: one batch, each sample with its own adapter; PEFT's outputs with one adapter
        // active (or none) are the reference for the samples that name it
        String dir = ADAPTERS + "tiny-bert/lora_two_adapters";
        JsonObject expected = json(dir);
        PeftModel peft = twoAdapters(dir);
        String[] names = {"second", "__base__", "default"};
        Map<String, String> reference = Map.of("second", "only_second_active", "__base__", "adapters_disabled", "default", "only_default_active");
        Map<String, float[]> mixed;
        try (PeftModel.MixedAdapterBatch scope = peft.mixedAdapterBatch(names)) {
            mixed = run(peft.block(), TINY_INPUT);
        }
        for (String output : List.of("logits", "last_hidden_state", "pooler_output")) {
            int per = mixed.get(output).length / names.length;
            for (int i = 0; i < names.length; i++) {
                float[] want = floats(expected.getAsJsonObject(reference.get(names[i])).get(output));
                double d = 0;
                for (int k = i * per; k < (i + 1) * per; k++) {
                    d = Math.max(d, Math.abs(want[k] - mixed.get(output)[k]));
                }
                assertTrue(d <= 1e-4, output + " of sample " + i + " (" + names[i] + "): max abs diff " + d);
            }
        }
        // the samples differ by adapter: had every sample used one adapter, two of the three would miss
        float[] second = floats(expected.getAsJsonObject("only_second_active").get("logits"));
        float[] none = floats(expected.getAsJsonObject("adapters_disabled").get("logits"));
        assertTrue(Compare.maxAbsDiff(second, none) > 1e-3, "the adapters move the logits");
    }

    @Test
    void miniLmAdapterReproducesPeftOnOnnxWeights() throws IOException {
        String dir = ADAPTERS + "minilm/lora_r8_qv";
        JsonObject expected = json(dir);
        String input = "fixtures/minilm/input.json";
        try (Pretrained<BertForSequenceClassification> mini = PretrainedModels.miniLmL6V2ForSequenceClassification(
                manager, 2, SafetensorsTensorSource.open(JsonFixture.dir("fixtures/minilm").resolve("extra_weights.safetensors")))) {
            Map<String, float[]> base = run(mini.model(), input);
            PeftModel peft = PeftModel.load(mini.model(), JsonFixture.dir(dir), false);
            assertOutputs(expected.getAsJsonObject("peft"), run(peft.block(), input), 2e-4, "minilm unmerged");
            try (PeftModel.DisabledAdapters off = peft.disableAdapters()) {
                assertTrue(Compare.maxAbsDiff(base.get("last_hidden_state"), run(peft.block(), input).get("last_hidden_state")) <= 1e-6);
            }
            Block merged = peft.mergeAndUnload(true);
            assertOutputs(expected.getAsJsonObject("merged"), run(merged, input), 2e-4, "minilm merged");
        }
    }

    @Test
    void adapterSavedHereHasPeftsKeysShapesDtypesAndConfigFields(@TempDir Path tmp) throws IOException {
        Engine.getInstance().setRandomSeed(11);
        PeftModel peft = PeftModel.wrap(tinyBert(), LoraConfig.builder().taskType("SEQ_CLS").r(4).loraAlpha(8)
                .targetModules("query", "value").baseModelNameOrPath("tiny-bert").build());
        // as the fixture was made: default init, then lora_B ~ N(0, 0.05) so the adapter does something
        peft.hosts().forEach(h -> h.adapter("default").stateTensors().get("lora_B.weight").getArray()
                .addi(manager.randomNormal(0f, 0.05f, new Shape(32, 4), ai.djl.ndarray.types.DataType.FLOAT32)));
        Map<String, float[]> before = run(peft.block(), TINY_INPUT);
        peft.save(tmp);
        Path peftDir = JsonFixture.dir(ADAPTERS + "tiny-bert/lora_qv");
        assertEquals(listing(peftDir.resolve(AdapterFiles.WEIGHTS_FILE)), listing(tmp.resolve(AdapterFiles.WEIGHTS_FILE)));
        JsonObject ours = JsonParser.parseString(Files.readString(tmp.resolve(AdapterFiles.CONFIG_FILE))).getAsJsonObject();
        JsonObject theirs = JsonParser.parseString(Files.readString(peftDir.resolve(AdapterFiles.CONFIG_FILE))).getAsJsonObject();
        assertEquals(new TreeSet<>(theirs.keySet()), new TreeSet<>(ours.keySet()));
        for (String k : theirs.keySet()) {
            if (!k.equals("target_modules") && !k.equals("modules_to_save")) {
                assertEquals(theirs.get(k), ours.get(k), k);
            }
        }
        PeftModel again = PeftModel.load(tinyBert(), tmp, false);
        Map<String, float[]> after = run(again.block(), TINY_INPUT);
        for (String k : before.keySet()) {
            assertTrue(Arrays.equals(before.get(k), after.get(k)), k + " differs after the round trip");
        }
    }

    private static Map<String, String> listing(Path file) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            for (TensorInfo t : r.tensors()) {
                m.put(t.name(), t.dtype().fileName() + Arrays.toString(t.shape()));
            }
            m.put("__metadata__", r.metadata().toString());
        }
        return m;
    }
}

package org.peft4j.models.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.core.io.AtomicFiles;
import org.peft4j.core.io.SafetensorsWriter;
import org.peft4j.core.io.TensorDType;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.models.checkpoint.CheckpointException;
import org.peft4j.models.checkpoint.LoadOptions;
import org.peft4j.models.checkpoint.LoadedModel;
import org.peft4j.models.testing.Compare;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Tiny Llama checkpoints written in the test in Hugging Face's folder layout. */
class LlamaCheckpointsTest {

    NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    }

    @AfterEach
    void close() {
        manager.close();
    }

    static final long[] PROMPT = {1, 4, 8, 15, 16, 23, 42};

    float[] logits(LlamaForCausalLM model) {
        try (NDManager batch = manager.newSubManager()) {
            return TinyLlamas.logits(model, batch, TinyLlamas.ids(batch, PROMPT)).toFloatArray();
        }
    }

    @Test
    void float32FolderSavesAndReloadsWithIdenticalOutputs(@TempDir Path dir) throws Exception {
        LlamaForCausalLM model = TinyLlamas.random(TinyLlamas.config().build(), manager, 21);
        LlamaCheckpoints.save(dir, model);
        assertTrue(Files.isRegularFile(dir.resolve("config.json")));
        LoadedModel<LlamaForCausalLM> loaded = LlamaCheckpoints.loadForCausalLM(dir, manager, LoadOptions.strict());
        assertEquals(model.config(), loaded.model().config());
        assertEquals(21, loaded.report().loaded().size());
        assertEquals(0.0, Compare.maxAbsDiff(logits(model), logits(loaded.model())));
    }

    @Test
    void bfloat16FolderLoadsWidenedExactly(@TempDir Path dir) throws Exception {
        LlamaForCausalLM model = TinyLlamas.random(TinyLlamas.config().build(), manager, 22);
        Map<String, Parameter> params = BlockPaths.parameters(model);
        SafetensorsWriter.Builder builder = SafetensorsWriter.builder().metadata(Map.of("format", "pt"));
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            builder.add(e.getKey(), TensorDType.BF16, e.getValue().getArray().getShape().getShape());
        }
        try (SafetensorsWriter writer = builder.open(dir.resolve("model.safetensors"))) {
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                writer.write(e.getKey(), e.getValue().getArray());
            }
            writer.commit();
        }
        AtomicFiles.writeString(dir.resolve("config.json"), model.config().toJson());

        LlamaForCausalLM loaded = LlamaCheckpoints.loadForCausalLM(dir, manager, LoadOptions.strict()).model();
        for (Map.Entry<String, Parameter> e : BlockPaths.parameters(loaded).entrySet()) {
            float[] original = params.get(e.getKey()).getArray().toFloatArray();
            float[] widened = e.getValue().getArray().toFloatArray();
            for (int i = 0; i < original.length; i++) {
                assertEquals(roundToBfloat16(original[i]), widened[i], 0.0f, e.getKey() + "[" + i + "]");
            }
        }
        // 7 mantissa bits: relative weight error <= 2^-8; the logits move but stay close
        assertTrue(Compare.maxAbsDiff(logits(model), logits(loaded)) < 0.1);
    }

    /** bfloat16 = the top 16 bits of a float32, rounded to nearest even (reference, plain Java). */
    static float roundToBfloat16(float x) {
        int bits = Float.floatToRawIntBits(x);
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return Float.intBitsToFloat(rounded & 0xFFFF0000);
    }

    @Test
    void shardedFolderWithIndexLoads(@TempDir Path dir) throws Exception {
        LlamaForCausalLM model = TinyLlamas.random(TinyLlamas.config().tieWordEmbeddings(true).build(), manager, 23);
        Map<String, Parameter> params = BlockPaths.parameters(model);
        Map<String, NDArray> first = new LinkedHashMap<>();
        Map<String, NDArray> second = new LinkedHashMap<>();
        StringBuilder weightMap = new StringBuilder();
        long total = 0;
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            boolean inFirst = e.getKey().startsWith("model.embed_tokens") || e.getKey().startsWith("model.layers.0.");
            (inFirst ? first : second).put(e.getKey(), e.getValue().getArray());
            String shard = inFirst ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
            weightMap.append(weightMap.length() == 0 ? "" : ",\n    ").append('"').append(e.getKey()).append("\": \"").append(shard).append('"');
            total += e.getValue().getArray().getShape().size() * 4;
        }
        SafetensorsWriter.save(dir.resolve("model-00001-of-00002.safetensors"), first, Map.of("format", "pt"));
        SafetensorsWriter.save(dir.resolve("model-00002-of-00002.safetensors"), second, Map.of("format", "pt"));
        AtomicFiles.writeString(dir.resolve("model.safetensors.index.json"),
                "{\n  \"metadata\": {\"total_size\": " + total + "},\n  \"weight_map\": {\n    " + weightMap + "\n  }\n}\n");
        AtomicFiles.writeString(dir.resolve("config.json"), model.config().toJson());

        LoadedModel<LlamaForCausalLM> loaded = LlamaCheckpoints.loadForCausalLM(dir, manager, LoadOptions.strict());
        assertEquals(20, loaded.report().loaded().size());
        assertEquals(0.0, Compare.maxAbsDiff(logits(model), logits(loaded.model())));
    }

    @Test
    void transformers5ConfigGivesTheLogitsOfTheEquivalentLegacyConfig(@TempDir Path dir) throws Exception {
        LlamaForCausalLM model = TinyLlamas.random(TinyLlamas.config().build(), manager, 28);
        LlamaCheckpoints.save(dir, model);
        JsonObject written = JsonParser.parseString(Files.readString(dir.resolve("config.json"))).getAsJsonObject();
        assertEquals(500000.0, written.get("rope_theta").getAsDouble());

        JsonObject legacy = written.deepCopy();
        legacy.remove("rope_parameters");
        JsonObject v5 = written.deepCopy();
        v5.remove("rope_theta");
        v5.remove("rope_scaling");
        JsonObject theta10k = legacy.deepCopy();
        theta10k.addProperty("rope_theta", 10000.0);

        float[] fromLegacy = logitsLoadedWith(dir, legacy);
        float[] fromV5 = logitsLoadedWith(dir, v5);
        float[] fromTheta10k = logitsLoadedWith(dir, theta10k);
        assertEquals(0.0, Compare.maxAbsDiff(logits(model), fromLegacy));
        assertEquals(0.0, Compare.maxAbsDiff(fromLegacy, fromV5));
        // a reader that missed rope_parameters would take the default theta 10000: visibly other logits
        double moved = Compare.maxAbsDiff(fromV5, fromTheta10k);
        assertTrue(moved > 1e-3, "theta 10000 moved the logits by only " + moved);
    }

    private float[] logitsLoadedWith(Path dir, JsonObject config) throws IOException {
        AtomicFiles.writeString(dir.resolve("config.json"), config.toString());
        return logits(LlamaCheckpoints.loadForCausalLM(dir, manager, LoadOptions.strict()).model());
    }

    @Test
    void missingUnexpectedAndMisshapedTensorsAreListedTogether(@TempDir Path dir) throws Exception {
        LlamaForCausalLM model = TinyLlamas.random(TinyLlamas.config().build(), manager, 24);
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : BlockPaths.parameters(model).entrySet()) {
            tensors.put(e.getKey(), e.getValue().getArray());
        }
        tensors.remove("model.layers.1.mlp.up_proj.weight");
        tensors.remove("lm_head.weight");
        tensors.put("model.layers.0.self_attn.k_proj.weight", manager.zeros(new ai.djl.ndarray.types.Shape(32, 32)));
        tensors.put("model.layers.0.self_attn.rotary_emb.inv_freq", manager.zeros(new ai.djl.ndarray.types.Shape(4)));
        tensors.put("model.layers.2.mlp.up_proj.weight", manager.zeros(new ai.djl.ndarray.types.Shape(64, 32)));
        SafetensorsWriter.save(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        AtomicFiles.writeString(dir.resolve("config.json"), model.config().toJson());

        CheckpointException e = assertThrows(CheckpointException.class,
                () -> LlamaCheckpoints.loadForCausalLM(dir, manager, LoadOptions.strict()));
        assertEquals(List.of("model.layers.1.mlp.up_proj.weight (64, 32)", "lm_head.weight (48, 32)"), e.missing());
        assertEquals(List.of("model.layers.2.mlp.up_proj.weight (64, 32)"), e.unexpected());
        assertEquals(List.of("model.layers.0.self_attn.k_proj.weight: checkpoint (32, 32), model (16, 32)"), e.misshaped());
        for (String expected : List.of("up_proj", "lm_head.weight", "model.layers.2", "k_proj", "1 mis-shaped")) {
            assertTrue(e.getMessage().contains(expected), e.getMessage());
        }

        // with the head allowed to be absent only the other problems remain
        CheckpointException withHeads = assertThrows(CheckpointException.class,
                () -> LlamaCheckpoints.loadForCausalLM(dir, manager, LoadOptions.builder().allowMissingHeads().build()));
        assertEquals(List.of("model.layers.1.mlp.up_proj.weight (64, 32)"), withHeads.missing());
    }

    @Test
    void absentHeadIsInitialisedAndReportedWhenAllowed(@TempDir Path dir) throws Exception {
        LlamaForCausalLM model = TinyLlamas.random(TinyLlamas.config().build(), manager, 25);
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : BlockPaths.parameters(model).entrySet()) {
            if (!e.getKey().equals("lm_head.weight")) {
                tensors.put(e.getKey(), e.getValue().getArray());
            }
        }
        SafetensorsWriter.save(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        AtomicFiles.writeString(dir.resolve("config.json"), model.config().toJson());
        LoadedModel<LlamaForCausalLM> loaded =
                LlamaCheckpoints.loadForCausalLM(dir, manager, LoadOptions.builder().allowMissingHeads().build());
        assertEquals(List.of("lm_head.weight"), loaded.report().initialized());
        assertTrue(BlockPaths.parameters(loaded.model()).get("lm_head.weight").isInitialized());
    }

    @Test
    void loadingIntoAnInitialisedModelOverwritesItsWeights(@TempDir Path dir) {
        LlamaForCausalLM source = TinyLlamas.random(TinyLlamas.config().build(), manager, 26);
        LlamaCheckpoints.save(dir, source);
        LlamaForCausalLM target = TinyLlamas.random(TinyLlamas.config().build(), manager, 27);
        List<String> keys = new ArrayList<>(BlockPaths.parameters(target).keySet());
        try (var tensors = org.peft4j.models.checkpoint.SafetensorsTensorSource.openDirectory(dir)) {
            org.peft4j.models.checkpoint.CheckpointLoader.load(target, tensors, manager, LoadOptions.strict());
        }
        assertEquals(keys, new ArrayList<>(BlockPaths.parameters(target).keySet()));
        assertEquals(0.0, Compare.maxAbsDiff(logits(source), logits(target)));
    }
}

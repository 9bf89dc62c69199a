package org.peft4j.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.core.PeftModel;
import org.peft4j.core.adapter.AdapterHost;
import org.peft4j.core.config.BiasMode;
import org.peft4j.core.config.PeftConfig;
import org.peft4j.core.config.TargetModules;
import org.peft4j.core.format.AdapterFiles;
import org.peft4j.core.io.SafetensorsReader;
import org.peft4j.core.io.TensorInfo;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.core.testing.TinyNet;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * PEFT's adapter folder format: files written by the real PEFT are read (config fields, every
 * tensor key/shape/dtype), and what we write has PEFT's layout and round-trips exactly.
 */
class PeftAdapterFilesTest {

    private static final List<String> FIXTURES = List.of(
            "tiny-bert/lora_qv", "tiny-bert/lora_all_linear_rslora", "tiny-bert/lora_two_adapters",
            "tiny-bert/lora_two_adapters/second", "minilm/lora_r8_qv");

    private NDManager manager;

    @BeforeEach
    void setUp() {
        Engine.getInstance().setRandomSeed(7);
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    static Path fixture(String name) {
        try {
            return Path.of(PeftAdapterFilesTest.class.getResource("/peft-fixtures/" + name + "/adapter_config.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void readsTheConfigOfEveryPeftFixture() throws IOException {
        LoraConfig qv = (LoraConfig) AdapterFiles.readConfig(fixture("tiny-bert/lora_qv"));
        assertEquals(4, qv.r());
        assertEquals(8.0, qv.loraAlpha());
        assertEquals(2.0, qv.scalingFor("bert.encoder.layer.0.attention.self.query"), 0);
        assertEquals(TargetModules.names("query", "value"), qv.targets().targetModules());
        assertEquals(List.of("classifier", "score"), qv.modulesToSave());
        assertEquals("SEQ_CLS", qv.common().taskType());
        assertEquals(BiasMode.NONE, qv.bias());
        assertEquals(LoraInit.DEFAULT, qv.initLoraWeights());

        LoraConfig rs = (LoraConfig) AdapterFiles.readConfig(fixture("tiny-bert/lora_all_linear_rslora"));
        assertTrue(rs.useRslora());
        assertEquals(16 / Math.sqrt(8), rs.scalingFor("x"), 1e-12);
        assertEquals(List.of(1), rs.targets().layersToTransform());
        assertEquals(List.of("layer"), rs.targets().layersPattern());
        assertEquals(new TreeSet<>(List.of("key", "query", "dense", "value")), new TreeSet<>(rs.targets().targetModules().names()));

        LoraConfig second = (LoraConfig) AdapterFiles.readConfig(fixture("tiny-bert/lora_two_adapters/second"));
        assertEquals(2, second.r());
        assertEquals(4.0, second.loraAlpha());

        LoraConfig mini = (LoraConfig) AdapterFiles.readConfig(fixture("minilm/lora_r8_qv"));
        assertEquals(8, mini.r());
        assertEquals(16.0, mini.loraAlpha());
        // PEFT 0.13.2 wrote ["classifier","classifier","score"]; duplicates carry no meaning
        assertEquals(List.of("classifier", "score"), mini.modulesToSave());
    }

    @Test
    void everyTensorKeyShapeAndDtypeMatchesAdapterKeysTxt() throws IOException {
        for (String f : FIXTURES) {
            Path dir = fixture(f);
            Map<String, String> expected = new TreeMap<>();
            for (String line : Files.readAllLines(dir.resolve("adapter_keys.txt"), StandardCharsets.UTF_8)) {
                if (line.startsWith("#") || line.isBlank()) {
                    continue;
                }
                String[] cols = line.split("\t");
                expected.put(cols[0], cols[1] + " " + cols[2].replace(" ", ""));
            }
            Map<String, String> actual = new TreeMap<>();
            try (SafetensorsReader r = SafetensorsReader.open(dir.resolve(AdapterFiles.WEIGHTS_FILE))) {
                for (String k : r.names()) {
                    TensorInfo i = r.info(k);
                    actual.put(k, i.dtype().fileName() + " " + Arrays.toString(i.shape()).replace(" ", ""));
                }
                assertEquals(Map.of("format", "pt"), r.metadata(), f);
            }
            assertEquals(expected, actual, f);
        }
    }

    private static JsonObject normalized(JsonObject o) {
        JsonObject c = o.deepCopy();
        for (String k : List.of("target_modules", "modules_to_save")) {
            JsonElement e = c.get(k);
            if (e != null && e.isJsonArray()) {
                TreeSet<String> s = new TreeSet<>();
                e.getAsJsonArray().forEach(x -> s.add(x.getAsString()));
                JsonArray a = new JsonArray();
                s.forEach(a::add);
                c.add(k, a);
            }
        }
        return c;
    }

    @Test
    void writtenConfigHasExactlyPeftsFieldsAndValues() throws IOException {
        LoraConfig qv = LoraConfig.builder().taskType("SEQ_CLS").r(4).loraAlpha(8).targetModules("query", "value").baseModelNameOrPath("tiny-bert").build();
        JsonObject ours = JsonParser.parseString(AdapterFiles.configJson(qv)).getAsJsonObject();
        JsonObject peft = JsonParser.parseString(Files.readString(fixture("tiny-bert/lora_qv").resolve("adapter_config.json"))).getAsJsonObject();
        assertEquals(normalized(peft), normalized(ours));
        assertEquals(new ArrayList<>(new TreeSet<>(ours.keySet())), new ArrayList<>(ours.keySet()), "keys sorted like json.dumps(sort_keys=True)");

        LoraConfig rs = LoraConfig.builder().taskType("SEQ_CLS").r(8).loraAlpha(16).useRslora(true)
                .targetModules("query", "key", "value", "dense").layersToTransform(1).layersPattern("layer").baseModelNameOrPath("tiny-bert").build();
        JsonObject ours2 = JsonParser.parseString(AdapterFiles.configJson(rs)).getAsJsonObject();
        JsonObject peft2 = JsonParser.parseString(Files.readString(fixture("tiny-bert/lora_all_linear_rslora").resolve("adapter_config.json"))).getAsJsonObject();
        assertEquals(normalized(peft2), normalized(ours2));
    }

    @Test
    void configReadingToleratesNewerAndOlderPeft(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("adapter_config.json"),
                "{\"peft_type\":\"LORA\",\"target_modules\":\".*\\\\.(query|value)\",\"r\":2,\"some_future_field\":{\"x\":1},\"lora_ga_config\":null}");
        LoraConfig c = (LoraConfig) AdapterFiles.readConfig(dir);
        assertEquals(2, c.r());
        assertEquals(8.0, c.loraAlpha(), "missing lora_alpha takes PEFT's default 8");
        assertEquals(TargetModules.Kind.REGEX, c.targets().targetModules().kind());
        Files.writeString(dir.resolve("adapter_config.json"), "{\"peft_type\":\"LORA\",\"target_modules\":[\"q\"],\"r\":-1}");
        IOException e = assertThrows(IOException.class, () -> AdapterFiles.readConfig(dir));
        assertTrue(e.getMessage().contains("adapter_config.json") && e.getMessage().contains("r:"), e.getMessage());
        Files.writeString(dir.resolve("adapter_config.json"), "{\"peft_type\":\"NOPE\",\"target_modules\":[\"q\"]}");
        IOException t = assertThrows(IOException.class, () -> AdapterFiles.readConfig(dir));
        assertTrue(t.getMessage().contains("NOPE") && t.getMessage().contains("LORA"), t.getMessage());
    }

    private float[] run(Block b, NDArray x) {
        try (NDManager sub = manager.newSubManager()) {
            NDArray in = x.duplicate();
            in.attach(sub);
            return b.forward(new ParameterStore(sub, false), new NDList(in), false).singletonOrThrow().toFloatArray();
        }
    }

    private static LoraConfig seqCls() {
        return LoraConfig.builder().taskType("SEQ_CLS").r(4).loraAlpha(8).targetModules("query", "value").initLoraWeights(LoraInit.RANDOM).build();
    }

    @Test
    void savedAdapterHasPeftsLayoutAndLoadsBackIdentically(@TempDir Path dir) throws IOException {
        Engine.getInstance().setRandomSeed(3);
        TinyNet net = new TinyNet(manager, 16, 2, 3);
        NDArray x = manager.randomNormal(new Shape(4, 16));
        Map<String, float[]> baseWeights = new LinkedHashMap<>();
        BlockPaths.parameters(net).forEach((k, p) -> baseWeights.put(k, p.getArray().toFloatArray()));
        PeftModel peft = PeftModel.wrap(net, seqCls());
        // perturb the classifier copy so modules_to_save matters
        peft.saveHosts().get(0).copyParameters("default").get("weight").getArray().addi(0.25f);
        float[] expected = run(peft.block(), x);
        peft.save(dir);
        assertEquals(List.of("adapter_config.json", "adapter_model.safetensors"),
                Files.list(dir).map(p -> p.getFileName().toString()).sorted().toList(), "exactly PEFT's two files");
        try (SafetensorsReader r = SafetensorsReader.open(dir.resolve(AdapterFiles.WEIGHTS_FILE))) {
            List<String> keys = r.names().stream().sorted().toList();
            List<String> want = new ArrayList<>();
            for (int l = 0; l < 2; l++) {
                for (String m : List.of("query", "value")) {
                    want.add("base_model.model.encoder.layer." + l + ".attention.self." + m + ".lora_A.weight");
                    want.add("base_model.model.encoder.layer." + l + ".attention.self." + m + ".lora_B.weight");
                }
            }
            want.add("base_model.model.classifier.bias");
            want.add("base_model.model.classifier.weight");
            want.sort(null);
            assertEquals(want, keys);
            assertArrayEquals(new long[] {4, 16}, r.info("base_model.model.encoder.layer.0.attention.self.query.lora_A.weight").shape());
            assertArrayEquals(new long[] {16, 4}, r.info("base_model.model.encoder.layer.0.attention.self.query.lora_B.weight").shape());
            assertEquals("F32", r.info("base_model.model.classifier.weight").dtype().fileName());
        }
        // a fresh base with the same weights
        TinyNet fresh = new TinyNet(manager, 16, 2, 3);
        BlockPaths.parameters(fresh).forEach((k, p) -> p.getArray().set(baseWeights.get(k)));
        PeftModel loaded = PeftModel.load(fresh, dir, false);
        assertArrayEquals(expected, run(loaded.block(), x), "save/load round trip is exact");
        assertFalse(((LoraAdapter) loaded.hosts().get(0).adapter("default")).loraA().requiresGradient(), "inference mode loads frozen");
    }

    @Test
    void adapterNameMakesNoDifferenceToSavedKeysOrValues(@TempDir Path dir) throws IOException {
        Engine.getInstance().setRandomSeed(5);
        PeftModel a = PeftModel.wrap(new TinyNet(manager, 16, 1, 2), "default", seqCls());
        Engine.getInstance().setRandomSeed(5);
        PeftModel b = PeftModel.wrap(new TinyNet(manager, 16, 1, 2), "custom-name", seqCls());
        a.save(dir.resolve("a"));
        b.save(dir.resolve("b"));
        Path bFolder = dir.resolve("b").resolve("custom-name");
        assertTrue(Files.isRegularFile(bFolder.resolve("adapter_model.safetensors")), "a non-default adapter goes in its sub-folder");
        try (SafetensorsReader ra = SafetensorsReader.open(dir.resolve("a").resolve(AdapterFiles.WEIGHTS_FILE));
                SafetensorsReader rb = SafetensorsReader.open(bFolder.resolve(AdapterFiles.WEIGHTS_FILE))) {
            assertEquals(ra.names(), rb.names());
            for (String k : ra.names()) {
                assertArrayEquals(ra.readFloats(k), rb.readFloats(k), k);
            }
        }
        assertEquals(Files.readString(dir.resolve("a").resolve("adapter_config.json")), Files.readString(bFolder.resolve("adapter_config.json")));
    }

    @Test
    void loadingAFileThatDoesNotFitNamesTheKeyAndLeavesTheModelUnwrapped(@TempDir Path dir) throws IOException {
        PeftModel p = PeftModel.wrap(new TinyNet(manager, 16, 1, 2), LoraConfig.builder().r(4).targetModules("query").build());
        p.save(dir);
        TinyNet other = new TinyNet(manager, 16, 1, 2);
        Files.writeString(dir.resolve("adapter_config.json"), Files.readString(dir.resolve("adapter_config.json")).replace("\"r\": 4", "\"r\": 2"));
        IOException e = assertThrows(IOException.class, () -> PeftModel.load(other, dir, false));
        assertTrue(e.getMessage().contains("lora_A.weight") && e.getMessage().contains("(2, 16)") && e.getMessage().contains("(4, 16)"), e.getMessage());
        assertTrue(BlockPaths.walk(other).stream().noneMatch(n -> n.block() instanceof AdapterHost), "model left unwrapped");
        Files.delete(dir.resolve("adapter_model.safetensors"));
        Files.writeString(dir.resolve("adapter_model.bin"), "not really a pickle");
        IOException pickle = assertThrows(IOException.class, () -> PeftModel.load(new TinyNet(manager, 16, 1, 2), dir, false));
        assertTrue(pickle.getMessage().contains("safetensors"), pickle.getMessage());
    }

    @Test
    void twoAdaptersSaveIntoFolderAndSubFolderAndReloadBoth(@TempDir Path dir) throws IOException {
        Engine.getInstance().setRandomSeed(9);
        TinyNet net = new TinyNet(manager, 16, 1, 2);
        Map<String, float[]> baseWeights = new LinkedHashMap<>();
        BlockPaths.parameters(net).forEach((k, p) -> baseWeights.put(k, p.getArray().toFloatArray()));
        NDArray x = manager.randomNormal(new Shape(3, 16));
        PeftModel peft = PeftModel.wrap(net, LoraConfig.builder().r(4).targetModules("query", "value").initLoraWeights(LoraInit.RANDOM).build());
        peft.addAdapter("second", LoraConfig.builder().r(2).loraAlpha(4).targetModules("key", "dense").initLoraWeights(LoraInit.RANDOM).build());
        float[] first = run(peft.block(), x);
        peft.setActiveAdapters("second");
        float[] second = run(peft.block(), x);
        peft.save(dir);
        TinyNet fresh = new TinyNet(manager, 16, 1, 2);
        BlockPaths.parameters(fresh).forEach((k, p) -> p.getArray().set(baseWeights.get(k)));
        PeftModel loaded = PeftModel.load(fresh, dir, false);
        loaded.loadAdapter(dir.resolve("second"), "second", false);
        assertArrayEquals(first, run(loaded.block(), x));
        loaded.setActiveAdapters("second");
        assertArrayEquals(second, run(loaded.block(), x));
        PeftConfig c = loaded.config("second");
        assertEquals(2, ((LoraConfig) c).r());
    }
}

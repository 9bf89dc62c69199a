package org.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reads files written by Hugging Face tooling (copies of the shared fixtures, see resources io/NOTE.md). */
class SafetensorsFixtureTest {

    private static final Path MODEL = TestResources.path("io/tiny-bert/model.safetensors");
    private static final Path ADAPTER = TestResources.path("io/tiny-bert/lora_qv/adapter_model.safetensors");

    @Test
    void adapterKeysDtypesAndShapesMatchTheGeneratorsListing() throws IOException {
        List<String> lines = Files.readAllLines(TestResources.path("io/tiny-bert/lora_qv/adapter_keys.txt"));
        assertEquals("# __metadata__ = {\"format\": \"pt\"}", lines.get(0));
        Map<String, String> expected = new LinkedHashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] parts = line.split("\t");
            expected.put(parts[0], parts[1] + " " + parts[2]);
        }
        try (SafetensorsReader reader = SafetensorsReader.open(ADAPTER)) {
            assertEquals(Map.of("format", "pt"), reader.metadata());
            Map<String, String> actual = new LinkedHashMap<>();
            for (String name : reader.names()) {
                TensorInfo info = reader.info(name);
                actual.put(name, info.dtype().fileName() + " " + Arrays.toString(info.shape()));
            }
            assertEquals(expected, actual);
        }
    }

    @Test
    void modelKeysAndShapesFollowItsConfig() throws IOException {
        JsonObject config = JsonParser.parseString(Files.readString(TestResources.path("io/tiny-bert/config.json")))
                .getAsJsonObject();
        int hidden = config.get("hidden_size").getAsInt();
        int intermediate = config.get("intermediate_size").getAsInt();
        Map<String, long[]> expected = new LinkedHashMap<>();
        expected.put("bert.embeddings.word_embeddings.weight", new long[] {config.get("vocab_size").getAsInt(), hidden});
        expected.put("bert.embeddings.position_embeddings.weight",
                new long[] {config.get("max_position_embeddings").getAsInt(), hidden});
        expected.put("bert.embeddings.token_type_embeddings.weight",
                new long[] {config.get("type_vocab_size").getAsInt(), hidden});
        expected.put("bert.embeddings.LayerNorm.weight", new long[] {hidden});
        expected.put("bert.embeddings.LayerNorm.bias", new long[] {hidden});
        for (int layer = 0; layer < config.get("num_hidden_layers").getAsInt(); layer++) {
            String prefix = "bert.encoder.layer." + layer + ".";
            for (String linear : List.of("attention.self.query", "attention.self.key", "attention.self.value",
                    "attention.output.dense")) {
                expected.put(prefix + linear + ".weight", new long[] {hidden, hidden});
                expected.put(prefix + linear + ".bias", new long[] {hidden});
            }
            expected.put(prefix + "intermediate.dense.weight", new long[] {intermediate, hidden});
            expected.put(prefix + "intermediate.dense.bias", new long[] {intermediate});
            expected.put(prefix + "output.dense.weight", new long[] {hidden, intermediate});
            expected.put(prefix + "output.dense.bias", new long[] {hidden});
            for (String norm : List.of("attention.output.LayerNorm", "output.LayerNorm")) {
                expected.put(prefix + norm + ".weight", new long[] {hidden});
                expected.put(prefix + norm + ".bias", new long[] {hidden});
            }
        }
        expected.put("bert.pooler.dense.weight", new long[] {hidden, hidden});
        expected.put("bert.pooler.dense.bias", new long[] {hidden});
        int labels = config.getAsJsonObject("id2label").size();
        expected.put("classifier.weight", new long[] {labels, hidden});
        expected.put("classifier.bias", new long[] {labels});

        try (SafetensorsReader reader = SafetensorsReader.open(MODEL)) {
            assertEquals(41, reader.names().size());
            assertEquals(expected.keySet(), new HashSet<>(reader.names()));
            for (Map.Entry<String, long[]> entry : expected.entrySet()) {
                TensorInfo info = reader.info(entry.getKey());
                assertArrayEquals(entry.getValue(), info.shape(), entry.getKey());
                assertEquals(TensorDType.F32, info.dtype(), entry.getKey());
            }
        }
    }

    @Test
    void modelValuesFollowHuggingFaceInitialisation() throws IOException {
        try (SafetensorsReader reader = SafetensorsReader.open(MODEL)) {
            for (String name : reader.names()) {
                float[] values = reader.readFloats(name);
                if (name.endsWith("LayerNorm.weight")) {
                    assertAll(values, 1f, name);
                } else if (name.endsWith(".bias")) {
                    assertAll(values, 0f, name);
                }
            }
            // BertEmbeddings' padding_idx (pad_token_id 0) row is zeroed by HF init; the others are N(0, 0.02)
            float[] words = reader.readFloats("bert.embeddings.word_embeddings.weight");
            assertAll(Arrays.copyOfRange(words, 0, 32), 0f, "padding row");
            double sumSquares = 0;
            for (int i = 32; i < words.length; i++) {
                sumSquares += words[i] * words[i];
            }
            double std = Math.sqrt(sumSquares / (words.length - 32));
            // 2016 samples: the sample std of N(0, 0.02) has a standard error of 0.02/sqrt(2*2016) = 3e-4
            assertEquals(0.02, std, 0.0015);
        }
    }

    @Test
    void loadedArraysEqualReadFloatsAndDjlsOwnDecoder() throws IOException {
        NDList decodedByDjl;
        try (NDManager manager = NDManager.newBaseManager();
                SafetensorsReader reader = SafetensorsReader.open(MODEL);
                InputStream in = Files.newInputStream(MODEL)) {
            decodedByDjl = NDList.decode(manager, in);
            assertEquals(reader.names().size(), decodedByDjl.size());
            for (String name : reader.names()) {
                NDArray loaded = reader.load(name, manager);
                assertEquals(DataType.FLOAT32, loaded.getDataType());
                assertEquals(name, loaded.getName());
                float[] values = loaded.toFloatArray();
                assertArrayEquals(reader.readFloats(name), values, 0f, name);
                assertArrayEquals(decodedByDjl.get(name).toFloatArray(), values, 0f, name);
            }
        }
    }

    private static void assertAll(float[] values, float expected, String name) {
        for (float value : values) {
            assertEquals(expected, value, 0f, name);
        }
        assertTrue(values.length > 0, name);
    }

}

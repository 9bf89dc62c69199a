package org.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ShardedSafetensorsTest {

    @TempDir
    Path dir;

    @Test
    void indexedShardsAreReadByTheirWeightMap() throws IOException {
        Path model = Files.createDirectory(dir.resolve("model"));
        shard(model.resolve("model-00001-of-00002.safetensors"), "a.weight", 1f, 2f);
        shard(model.resolve("model-00002-of-00002.safetensors"), "b.weight", 3f);
        Files.writeString(model.resolve(ShardedSafetensors.INDEX_FILE), "{\"metadata\": {\"total_size\": 12},"
                + " \"weight_map\": {\"a.weight\": \"model-00001-of-00002.safetensors\","
                + " \"b.weight\": \"model-00002-of-00002.safetensors\"}}");
        try (ShardedSafetensors checkpoint = ShardedSafetensors.openDirectory(model);
                NDManager manager = NDManager.newBaseManager()) {
            assertEquals(List.of("a.weight", "b.weight"), checkpoint.names());
            assertEquals(2, checkpoint.shardFiles().size());
            assertArrayEquals(new float[] {1f, 2f}, checkpoint.readFloats("a.weight"));
            assertArrayEquals(new float[] {3f}, checkpoint.load("b.weight", manager).toFloatArray());
            assertArrayEquals(new long[] {1}, checkpoint.info("b.weight").shape());
            assertThrows(SafetensorsException.class, () -> checkpoint.info("c.weight"));
        }
    }

    @Test
    void directoryWithASingleFileOpensIt() throws IOException {
        shard(dir.resolve(ShardedSafetensors.SINGLE_FILE), "w", 5f);
        try (ShardedSafetensors checkpoint = ShardedSafetensors.openDirectory(dir)) {
            assertEquals(List.of("w"), checkpoint.names());
            assertArrayEquals(new float[] {5f}, checkpoint.readFloats("w"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"../outside.safetensors", "/etc/passwd", "sub/inner.safetensors",
        "..\\outside.safetensors", "..", ".", "", "C:outside.safetensors", "sub/../../outside.safetensors"})
    void shardNamesThatEscapeTheFolderAreRejected(String shardName) throws IOException {
        Path model = Files.createDirectory(dir.resolve("model"));
        Files.createDirectory(model.resolve("sub"));
        shard(dir.resolve("outside.safetensors"), "a.weight", 1f);
        shard(model.resolve("sub/inner.safetensors"), "a.weight", 1f);
        Path index = model.resolve(ShardedSafetensors.INDEX_FILE);
        Files.writeString(index, "{\"weight_map\": {\"a.weight\": \"" + shardName.replace("\\", "\\\\") + "\"}}");
        SafetensorsException error = assertThrows(SafetensorsException.class, () -> ShardedSafetensors.open(index));
        assertEquals("a.weight", error.key());
        assertTrue(error.getMessage().contains("plain file name"), error.getMessage());
    }

    @Test
    void weightMapNamingATensorItsShardLacksIsRejected() throws IOException {
        shard(dir.resolve("s1.safetensors"), "a.weight", 1f);
        Path index = dir.resolve(ShardedSafetensors.INDEX_FILE);
        Files.writeString(index, "{\"weight_map\": {\"a.weight\": \"s1.safetensors\", \"b.weight\": \"s1.safetensors\"}}");
        SafetensorsException error = assertThrows(SafetensorsException.class, () -> ShardedSafetensors.open(index));
        assertEquals("b.weight", error.key());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "[]", "{\"weight_map\": []}", "{\"weight_map\": {\"a\": 1}}",
        "{\"weight_map\": {\"a\": \"s1.safetensors\", \"a\": \"s1.safetensors\"}}",
        "{\"weight_map\": {}, \"weight_map\": {}}", "{\"weight_map\": {}", "{\"weight_map\": {}} extra"})
    void malformedIndexesAreRejected(String json) throws IOException {
        shard(dir.resolve("s1.safetensors"), "a", 1f);
        Path index = dir.resolve(ShardedSafetensors.INDEX_FILE);
        Files.writeString(index, json);
        assertThrows(SafetensorsException.class, () -> ShardedSafetensors.open(index));
    }

    @Test
    void folderWithOnlyAPickleCheckpointIsRefusedWithAConversionHint() throws IOException {
        Files.write(dir.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2, 'K', 1, '.'});
        PickleCheckpointException error = assertThrows(PickleCheckpointException.class,
                () -> ShardedSafetensors.openDirectory(dir));
        assertTrue(error.getMessage().contains("safetensors"), error.getMessage());
    }

    @Test
    void emptyFolderIsReportedByName() {
        SafetensorsException error = assertThrows(SafetensorsException.class,
                () -> ShardedSafetensors.openDirectory(dir));
        assertTrue(error.getMessage().contains(ShardedSafetensors.INDEX_FILE), error.getMessage());
    }

    private static void shard(Path file, String name, float... values) throws IOException {
        ByteBuffer data = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            data.putFloat(value);
        }
        try (SafetensorsWriter writer = SafetensorsWriter.builder().add(name, TensorDType.F32, values.length)
                .open(file)) {
            writer.write(name, data.flip());
            writer.commit();
        }
    }
}

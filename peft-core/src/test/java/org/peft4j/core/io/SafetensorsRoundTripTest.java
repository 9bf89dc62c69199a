package org.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writer to reader round trips, and byte-level agreement with the reference serializer and with DJL's codec. */
class SafetensorsRoundTripTest {

    @TempDir
    Path dir;

    @Test
    void everyDtypeRoundTripsBytesShapeAndOrder() throws IOException {
        Random random = new Random(1);
        Map<TensorDType, byte[]> written = new LinkedHashMap<>();
        SafetensorsWriter.Builder builder = SafetensorsWriter.builder();
        for (TensorDType dtype : TensorDType.values()) {
            byte[] data = new byte[3 * 5 * dtype.byteSize()];
            random.nextBytes(data);
            if (dtype == TensorDType.BOOL) {
                for (int i = 0; i < data.length; i++) {
                    data[i] = (byte) (data[i] & 1);
                }
            }
            written.put(dtype, data);
            builder.add("t." + dtype.fileName(), dtype, 3, 5);
        }
        Path file = dir.resolve("all.safetensors");
        try (SafetensorsWriter writer = builder.open(file)) {
            for (Map.Entry<TensorDType, byte[]> entry : written.entrySet()) {
                writer.write("t." + entry.getKey().fileName(), ByteBuffer.wrap(entry.getValue()));
            }
            writer.commit();
        }
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            List<String> expectedOrder = new ArrayList<>();
            for (TensorDType dtype : TensorDType.values()) {
                expectedOrder.add("t." + dtype.fileName());
            }
            assertEquals(expectedOrder, reader.names());
            assertEquals(Map.of(), reader.metadata());
            for (Map.Entry<TensorDType, byte[]> entry : written.entrySet()) {
                String name = "t." + entry.getKey().fileName();
                TensorInfo info = reader.info(name);
                assertEquals(entry.getKey(), info.dtype());
                assertArrayEquals(new long[] {3, 5}, info.shape());
                ByteBuffer bytes = reader.bytes(name);
                assertTrue(bytes.isReadOnly());
                assertEquals(ByteOrder.LITTLE_ENDIAN, bytes.order());
                byte[] read = new byte[bytes.remaining()];
                bytes.get(read);
                assertArrayEquals(entry.getValue(), read, name);
            }
        }
        long headerLength = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8, "header padded to a multiple of 8 bytes");
    }

    @Test
    void metadataRoundTripsIncludingEscapesAndNonAscii() throws IOException {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("quote\"back\\slash", "tab\tnewline\ncontrol\u0001del\u007f");
        metadata.put("\u00e9t\u00e9 \u65e5\u672c \ud83d\ude00", "");
        Path file = dir.resolve("meta.safetensors");
        try (SafetensorsWriter writer = SafetensorsWriter.builder().metadata(metadata)
                .add("x", TensorDType.U8, 2).open(file)) {
            writer.write("x", ByteBuffer.wrap(new byte[] {7, 9}));
            writer.commit();
        }
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertEquals(metadata, reader.metadata());
        }
    }

    /** Headers are read, and heap buffers written, in slices: cross several slice boundaries. */
    @Test
    void multiMegabyteHeaderAndHeapBufferRoundTrip() throws IOException {
        String longValue = "v".repeat(3_000_001);
        byte[] data = new byte[20 << 20];
        new Random(3).nextBytes(data);
        Path file = dir.resolve("large.safetensors");
        try (SafetensorsWriter writer = SafetensorsWriter.builder().metadata(Map.of("long", longValue))
                .add("bytes", TensorDType.U8, data.length).open(file)) {
            writer.write("bytes", ByteBuffer.wrap(data));
            writer.commit();
        }
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertEquals(longValue, reader.metadata().get("long"));
            byte[] read = new byte[data.length];
            reader.bytes("bytes").get(read);
            assertArrayEquals(data, read);
        }
    }

    @Test
    void readFloatsConvertsEveryDtype() throws IOException {
        Path file = dir.resolve("values.safetensors");
        try (SafetensorsWriter writer = SafetensorsWriter.builder()
                .add("f64", TensorDType.F64, 2).add("f32", TensorDType.F32, 2).add("f16", TensorDType.F16, 2)
                .add("bf16", TensorDType.BF16, 2).add("i64", TensorDType.I64, 2).add("i32", TensorDType.I32, 2)
                .add("i16", TensorDType.I16, 2).add("i8", TensorDType.I8, 2).add("u8", TensorDType.U8, 2)
                .add("bool", TensorDType.BOOL, 2).open(file)) {
            writer.write("f64", le(16).putDouble(1.5).putDouble(-1e300).flip());
            writer.write("f32", le(8).putFloat(0.1f).putFloat(-3f).flip());
            // binary16 0x3C00 = 1.0, 0xC000 = -2.0 (IEEE 754 encodings)
            writer.write("f16", le(4).putShort((short) 0x3C00).putShort((short) 0xC000).flip());
            // bfloat16 0x3FC0 = 1.5, 0xC2F7 = -123.5
            writer.write("bf16", le(4).putShort((short) 0x3FC0).putShort((short) 0xC2F7).flip());
            writer.write("i64", le(16).putLong(-3).putLong(1L << 40).flip());
            writer.write("i32", le(8).putInt(-7).putInt(65536).flip());
            writer.write("i16", le(4).putShort((short) -2).putShort((short) 300).flip());
            writer.write("i8", ByteBuffer.wrap(new byte[] {-1, 127}));
            writer.write("u8", ByteBuffer.wrap(new byte[] {(byte) 255, 0}));
            writer.write("bool", ByteBuffer.wrap(new byte[] {1, 0}));
            writer.commit();
        }
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertArrayEquals(new float[] {1.5f, Float.NEGATIVE_INFINITY}, reader.readFloats("f64"));
            assertArrayEquals(new float[] {0.1f, -3f}, reader.readFloats("f32"));
            assertArrayEquals(new float[] {1f, -2f}, reader.readFloats("f16"));
            assertArrayEquals(new float[] {1.5f, -123.5f}, reader.readFloats("bf16"));
            assertArrayEquals(new float[] {-3f, 0x1p40f}, reader.readFloats("i64"));
            assertArrayEquals(new float[] {-7f, 65536f}, reader.readFloats("i32"));
            assertArrayEquals(new float[] {-2f, 300f}, reader.readFloats("i16"));
            assertArrayEquals(new float[] {-1f, 127f}, reader.readFloats("i8"));
            assertArrayEquals(new float[] {255f, 0f}, reader.readFloats("u8"));
            assertArrayEquals(new float[] {1f, 0f}, reader.readFloats("bool"));
        }
    }

    @Test
    void ndArraysOfEveryEngineTypeRoundTripExactly() throws IOException {
        Path file = dir.resolve("arrays.safetensors");
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> arrays = new LinkedHashMap<>();
            arrays.put("f64", manager.create(new double[] {1.25, -2.5, 1e-300, 3}, new Shape(2, 2)));
            arrays.put("f32", manager.randomNormal(new Shape(3, 4), DataType.FLOAT32));
            arrays.put("f16", manager.randomNormal(new Shape(4, 3), DataType.FLOAT32).toType(DataType.FLOAT16, false));
            arrays.put("i64", manager.create(new long[] {Long.MIN_VALUE, -1, Long.MAX_VALUE}));
            arrays.put("i32", manager.create(new int[] {Integer.MIN_VALUE, 0, 5}, new Shape(3, 1)));
            arrays.put("i8", manager.create(new byte[] {-128, 0, 127}));
            arrays.put("u8", manager.create(new byte[] {(byte) 255, 1, 0}).toType(DataType.UINT8, false));
            arrays.put("bool", manager.create(new boolean[] {true, false, true}));
            arrays.put("scalar", manager.create(4.5f));
            arrays.put("empty", manager.create(new Shape(2, 0), DataType.FLOAT32));
            SafetensorsWriter.save(file, arrays, Map.of("format", "pt"));
            try (SafetensorsReader reader = SafetensorsReader.open(file)) {
                assertEquals(Map.of("format", "pt"), reader.metadata());
                for (Map.Entry<String, NDArray> entry : arrays.entrySet()) {
                    NDArray loaded = reader.load(entry.getKey(), manager);
                    NDArray original = entry.getValue();
                    assertEquals(original.getDataType(), loaded.getDataType(), entry.getKey());
                    assertEquals(original.getShape(), loaded.getShape(), entry.getKey());
                    assertArrayEquals(bytesOf(original), bytesOf(loaded), entry.getKey());
                }
            }
        }
    }

    @Test
    void saveOrdersTensorsLikeTheReferenceSerializer() throws IOException {
        // safetensors/src/tensor.rs `prepare`: sort by descending Dtype (declared in increasing alignment order:
        // BOOL, U8, I8, ..., I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64), then by name
        Path file = dir.resolve("ordered.safetensors");
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> arrays = new LinkedHashMap<>();
            arrays.put("a_bool", manager.create(new boolean[] {true}));
            arrays.put("b_f32", manager.create(new float[] {1}));
            arrays.put("a_f32", manager.create(new float[] {2}));
            arrays.put("c_i64", manager.create(new long[] {3}));
            arrays.put("d_f16", manager.create(new float[] {4}).toType(DataType.FLOAT16, false));
            arrays.put("e_u8", manager.create(new byte[] {5}).toType(DataType.UINT8, false));
            arrays.put("f_f64", manager.create(new double[] {6}));
            arrays.put("g_i32", manager.create(new int[] {7}));
            arrays.put("h_i8", manager.create(new byte[] {8}));
            SafetensorsWriter.save(file, arrays, null);
        }
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertEquals(List.of("c_i64", "f_f64", "a_f32", "b_f32", "g_i32", "d_f16", "h_i8", "e_u8", "a_bool"),
                    reader.names());
            assertEquals(Map.of(), reader.metadata());
        }
    }

    /**
     * Expected bytes are the reference serializer's own test vectors (huggingface/safetensors,
     * safetensors/src/tensor.rs: test_serialization, test_empty, test_serialization_forced_alignement).
     */
    @Test
    void writerOutputMatchesTheReferenceSerializerTestVectors() throws IOException {
        ByteBuffer zeroToFive = le(24);
        for (int i = 0; i < 6; i++) {
            zeroToFive.putFloat(i);
        }
        zeroToFive.flip();
        int[] serialization = {64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
            116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 50,
            44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52,
            93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64};
        assertArrayEquals(unsigned(serialization), written(SafetensorsWriter.builder()
                .add("attn.0", TensorDType.F32, 1, 2, 3), "attn.0", zeroToFive.duplicate()));

        int[] forcedAlignment = {72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116,
            121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 49, 44,
            50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48, 44, 50,
            52, 93, 125, 125, 32, 32, 32, 32, 32, 32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0,
            0, 128, 64, 0, 0, 160, 64};
        assertArrayEquals(unsigned(forcedAlignment), written(SafetensorsWriter.builder()
                .add("attn0", TensorDType.F32, 1, 1, 2, 3), "attn0", zeroToFive.duplicate()));

        int[] empty = {8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32};
        assertArrayEquals(unsigned(empty), written(SafetensorsWriter.builder(), null, null));

        int[] emptyWithMetadata = {40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97,
            95, 95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112, 116, 34, 125, 125,
            32, 32, 32, 32, 32};
        assertArrayEquals(unsigned(emptyWithMetadata), written(SafetensorsWriter.builder()
                .metadata(Map.of("framework", "pt")), null, null));
    }

    @Test
    void filesWrittenHereAreReadByDjlsDecoderAndViceVersa() throws IOException {
        Path ours = dir.resolve("ours.safetensors");
        Path djls = dir.resolve("djl.safetensors");
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a = manager.arange(12f).reshape(3, 4);
            NDArray b = manager.create(new long[] {-5, 6});
            SafetensorsWriter.save(ours, Map.of("a", a, "b", b), Map.of("format", "pt"));
            NDList decoded;
            try (InputStream in = Files.newInputStream(ours)) {
                decoded = NDList.decode(manager, in);
            }
            assertTrue(a.contentEquals(decoded.get("a")));
            assertTrue(b.contentEquals(decoded.get("b")));

            a.setName("a");
            b.setName("b");
            try (OutputStream out = Files.newOutputStream(djls)) {
                new NDList(a, b).encode(out, NDList.Encoding.SAFETENSORS);
            }
            try (SafetensorsReader reader = SafetensorsReader.open(djls)) {
                assertTrue(a.contentEquals(reader.load("a", manager)));
                assertTrue(b.contentEquals(reader.load("b", manager)));
            }
        }
    }

    @Test
    void loadedArrayOutlivesTheReaderAndItsFile() throws IOException {
        Path file = dir.resolve("owned.safetensors");
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray loaded;
            try (SafetensorsReader reader = SafetensorsReader.open(written(file, "w", new float[] {1, 2, 3}))) {
                loaded = reader.load("w", manager);
            }
            Files.write(file, new byte[16]);
            Files.delete(file);
            System.gc();
            assertArrayEquals(new float[] {1, 2, 3}, loaded.toFloatArray());
        }
    }

    @Test
    void readsAfterCloseAreRefused() throws IOException {
        SafetensorsReader reader = SafetensorsReader.open(written(dir.resolve("c.safetensors"), "w", new float[] {1}));
        reader.close();
        assertThrows(IllegalStateException.class, () -> reader.bytes("w"));
        assertEquals(List.of("w"), reader.names());
    }

    @Test
    void loadConvertsToTheRequestedTypeAndRefusesBfloat16() throws IOException {
        Path file = written(dir.resolve("t.safetensors"), "w", new float[] {1.75f, -2.25f});
        try (NDManager manager = NDManager.newBaseManager(); SafetensorsReader reader = SafetensorsReader.open(file)) {
            NDArray half = reader.load("w", manager, DataType.FLOAT16);
            assertEquals(DataType.FLOAT16, half.getDataType());
            assertEquals("w", half.getName());
            // 1.75 and -2.25 are exact in binary16
            assertArrayEquals(new float[] {1.75f, -2.25f}, half.toType(DataType.FLOAT32, false).toFloatArray());
            assertEquals(DataType.FLOAT64, reader.load("w", manager, DataType.FLOAT64).getDataType());
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                    () -> reader.load("w", manager, DataType.BFLOAT16));
            assertTrue(error.getMessage().contains("FLOAT32"), error.getMessage());
        }
    }

    @Test
    void missingKeyErrorNamesTheKeyAndSomeThatExist() throws IOException {
        Path file = written(dir.resolve("k.safetensors"), "present.weight", new float[] {1});
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            SafetensorsException error = assertThrows(SafetensorsException.class, () -> reader.info("absent.bias"));
            assertEquals("absent.bias", error.key());
            assertEquals(file, error.file());
            assertTrue(error.getMessage().contains("'absent.bias'") && error.getMessage().contains("'present.weight'"),
                    error.getMessage());
            assertTrue(!reader.contains("absent.bias") && reader.contains("present.weight"));
        }
    }

    /** A sparse 3 GiB file: a tensor past the 2 GiB mark must read through its own mapping. */
    @Test
    void tensorsBeyondTwoGibibytesAreReadThroughPerTensorMappings() throws IOException {
        long big = 3L << 30;
        String json = "{\"big\":{\"dtype\":\"U8\",\"shape\":[" + big + "],\"data_offsets\":[0," + big + "]},"
                + "\"tail\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[" + big + "," + (big + 8) + "]}}";
        byte[] header = CorruptSafetensorsCorpus.file(json, new byte[0]);
        Path file = dir.resolve("sparse.safetensors");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.SPARSE)) {
            channel.write(ByteBuffer.wrap(header), 0);
            channel.write(le(8).putFloat(1.5f).putFloat(-2f).flip(), header.length + big);
        }
        try (NDManager manager = NDManager.newBaseManager(); SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertArrayEquals(new float[] {1.5f, -2f}, reader.readFloats("tail"));
            assertArrayEquals(new float[] {1.5f, -2f}, reader.load("tail", manager).toFloatArray());
            assertEquals(big, reader.info("big").byteLength());
            assertThrows(SafetensorsException.class, () -> reader.bytes("big"));
            ByteBuffer end = reader.bytes("big", big - 4, 4);
            assertEquals(0, end.getInt());
            assertThrows(IndexOutOfBoundsException.class, () -> reader.bytes("big", big - 4, 5));
        }
    }

    private Path written(Path file, String name, float[] values) throws IOException {
        ByteBuffer data = le(values.length * 4);
        for (float value : values) {
            data.putFloat(value);
        }
        try (SafetensorsWriter writer = SafetensorsWriter.builder().add(name, TensorDType.F32, values.length)
                .open(file)) {
            writer.write(name, data.flip());
            writer.commit();
        }
        return file;
    }

    private byte[] written(SafetensorsWriter.Builder builder, String name, ByteBuffer data) throws IOException {
        Path file = dir.resolve("vector.safetensors");
        try (SafetensorsWriter writer = builder.open(file)) {
            if (name != null) {
                writer.write(name, data);
            }
            writer.commit();
        }
        return Files.readAllBytes(file);
    }

    private static ByteBuffer le(int capacity) {
        return ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] unsigned(int[] values) {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = (byte) values[i];
        }
        return bytes;
    }

    private static byte[] bytesOf(NDArray array) {
        ByteBuffer buffer = array.toByteBuffer();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

}

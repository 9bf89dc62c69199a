package org.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {

    @TempDir
    Path dir;

    @Test
    void closeWithoutCommitLeavesTargetUntouchedAndNoTempFiles() throws IOException {
        Path target = dir.resolve("model.safetensors");
        byte[] old = {42, 43};
        Files.write(target, old);
        try (SafetensorsWriter writer = SafetensorsWriter.builder().add("a", TensorDType.F32, 4)
                .add("b", TensorDType.F32, 4).open(target)) {
            writer.write("a", ByteBuffer.allocate(16));
            assertEquals(2, AtomicFilesTest.filesIn(dir).size(), "the temporary file sits beside the target");
        }
        assertArrayEquals(old, Files.readAllBytes(target));
        assertEquals(List.of("model.safetensors"), AtomicFilesTest.filesIn(dir));
    }

    @Test
    void exceptionWhileStreamingLeavesOldFileByteIdentical() throws IOException {
        Path target = dir.resolve("model.safetensors");
        byte[] old = {7, 7, 7};
        Files.write(target, old);
        assertThrows(IllegalArgumentException.class, () -> {
            try (SafetensorsWriter writer = SafetensorsWriter.builder().add("a", TensorDType.F32, 4).open(target)) {
                writer.write("a", ByteBuffer.allocate(12)); // wrong size
                writer.commit();
            }
        });
        assertArrayEquals(old, Files.readAllBytes(target));
        assertEquals(List.of("model.safetensors"), AtomicFilesTest.filesIn(dir));
    }

    @Test
    void tensorsMustBeWrittenInDeclaredOrder() throws IOException {
        try (SafetensorsWriter writer = SafetensorsWriter.builder().add("first", TensorDType.U8, 1)
                .add("second", TensorDType.U8, 1).open(dir.resolve("o.safetensors"))) {
            IllegalStateException error = assertThrows(IllegalStateException.class,
                    () -> writer.write("second", ByteBuffer.allocate(1)));
            assertTrue(error.getMessage().contains("'first'"), error.getMessage());
        }
    }

    @Test
    void commitWithUnwrittenTensorsIsRefused() throws IOException {
        Path target = dir.resolve("partial.safetensors");
        try (SafetensorsWriter writer = SafetensorsWriter.builder().add("a", TensorDType.U8, 1)
                .add("b", TensorDType.U8, 1).open(target)) {
            writer.write("a", ByteBuffer.allocate(1));
            IllegalStateException error = assertThrows(IllegalStateException.class, writer::commit);
            assertTrue(error.getMessage().contains("'b'"), error.getMessage());
        }
        assertFalse(Files.exists(target));
    }

    @Test
    void writtenBufferIsNotConsumed() throws IOException {
        ByteBuffer data = ByteBuffer.wrap(new byte[] {1, 2, 3});
        try (SafetensorsWriter writer = SafetensorsWriter.builder().add("a", TensorDType.U8, 3)
                .open(dir.resolve("p.safetensors"))) {
            writer.write("a", data);
            writer.commit();
        }
        assertEquals(3, data.remaining());
    }

    @Test
    void declarationsAreValidated() {
        SafetensorsWriter.Builder builder = SafetensorsWriter.builder().add("a", TensorDType.F32, 2);
        assertThrows(IllegalArgumentException.class, () -> builder.add("a", TensorDType.F32, 2));
        assertThrows(IllegalArgumentException.class, () -> builder.add("__metadata__", TensorDType.F32, 2));
        assertThrows(IllegalArgumentException.class, () -> builder.add("neg", TensorDType.F32, 2, -1));
        assertThrows(IllegalArgumentException.class, () -> builder.add("huge", TensorDType.F64, 1L << 61, 2));
        assertThrows(IllegalArgumentException.class, () -> builder.add("\ud800", TensorDType.F32, 1));
    }

    @Test
    void arrayShapeAndTypeMustMatchTheDeclaration() throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
                SafetensorsWriter writer = SafetensorsWriter.builder().add("w", TensorDType.F32, 2, 3)
                        .open(dir.resolve("m.safetensors"))) {
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> writer.write("w", manager.zeros(new Shape(3, 2))));
            assertTrue(shape.getMessage().contains("[2, 3]") && shape.getMessage().contains("[3, 2]"));
            IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                    () -> writer.write("w", manager.zeros(new Shape(2, 3), DataType.FLOAT64)));
            assertTrue(type.getMessage().contains("FLOAT64"), type.getMessage());
        }
    }

    @Test
    void bf16DeclaredTensorIsNarrowedAndLoadsWidenedToFloat32() throws IOException {
        Path file = dir.resolve("bf16.safetensors");
        // 1 + 2^-8 is exactly halfway between bf16 1.0 and 1.0078125: ties to even -> 1.0;
        // 1 + 3*2^-8 is halfway between 1.0078125 (odd) and 1.015625 (even) -> 1.015625
        float[] values = {1.5f, 1f + 0x1p-8f, 1f + 3 * 0x1p-8f, -0f, Float.POSITIVE_INFINITY};
        try (NDManager manager = NDManager.newBaseManager()) {
            try (SafetensorsWriter writer = SafetensorsWriter.builder().add("w", TensorDType.BF16, 5).open(file)) {
                writer.write("w", manager.create(values));
                writer.commit();
            }
            try (SafetensorsReader reader = SafetensorsReader.open(file)) {
                assertEquals(TensorDType.BF16, reader.info("w").dtype());
                ByteBuffer raw = reader.bytes("w");
                short[] bits = new short[5];
                raw.asShortBuffer().get(bits);
                assertArrayEquals(new short[] {0x3FC0, 0x3F80, 0x3F82, (short) 0x8000, 0x7F80}, bits);
                NDArray loaded = reader.load("w", manager);
                assertEquals(DataType.FLOAT32, loaded.getDataType());
                assertArrayEquals(new float[] {1.5f, 1f, 1.015625f, -0f, Float.POSITIVE_INFINITY},
                        loaded.toFloatArray());
            }
        }
    }

    @Test
    void i16LoadsWidenedToInt32() throws IOException {
        Path file = dir.resolve("i16.safetensors");
        try (SafetensorsWriter writer = SafetensorsWriter.builder().add("s", TensorDType.I16, 3).open(file)) {
            writer.write("s", ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN).putShort((short) -32768)
                    .putShort((short) 1).putShort((short) 32767).flip());
            writer.commit();
        }
        try (NDManager manager = NDManager.newBaseManager(); SafetensorsReader reader = SafetensorsReader.open(file)) {
            NDArray loaded = reader.load("s", manager);
            assertEquals(DataType.INT32, loaded.getDataType());
            assertArrayEquals(new int[] {-32768, 1, 32767}, loaded.toIntArray());
        }
    }

    @Test
    void saveWithEmptyMetadataWritesNone() throws IOException {
        Path file = dir.resolve("none.safetensors");
        try (NDManager manager = NDManager.newBaseManager()) {
            SafetensorsWriter.save(file, Map.of("x", manager.create(new float[] {1})), Map.of());
        }
        String header = new String(Files.readAllBytes(file), 8, 16, java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"x\":"), header);
    }
}

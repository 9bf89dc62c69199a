package org.peft4j.models.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.protobuf.ByteString;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.models.onnx.proto.GraphProto;
import org.peft4j.models.onnx.proto.ModelProto;
import org.peft4j.models.onnx.proto.NodeProto;
import org.peft4j.models.onnx.proto.TensorProto;
import org.peft4j.models.onnx.proto.ValueInfoProto;
import org.peft4j.models.pretrained.PretrainedModels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

class OnnxWeightsTest {

    /** A graph like a PyTorch export of {@code y = dense(x)} plus a LayerNorm weight and two constants. */
    static ModelProto.Builder graph(String consumerOfMatMul) {
        // the linear layer's weight W [out=2, in=3] = [[1, 2, 3], [4, 5, 6]] is exported as Wᵀ [3, 2]
        float[] transposed = {1, 4, 2, 5, 3, 6};
        ByteBuffer raw = ByteBuffer.allocate(transposed.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : transposed) {
            raw.putFloat(f);
        }
        raw.flip();
        GraphProto.Builder g = GraphProto.newBuilder()
                .setName("tiny")
                .addInitializer(TensorProto.newBuilder().setName("onnx::MatMul_5").addDims(3).addDims(2)
                        .setDataType(TensorProto.DataType.FLOAT_VALUE).setRawData(ByteString.copyFrom(raw)))
                .addInitializer(TensorProto.newBuilder().setName("dense.bias").addDims(2)
                        .setDataType(TensorProto.DataType.FLOAT_VALUE).addFloatData(0.5f).addFloatData(-0.5f))
                .addInitializer(TensorProto.newBuilder().setName("norm.weight").addDims(2)
                        .setDataType(TensorProto.DataType.FLOAT_VALUE).addFloatData(1f).addFloatData(1f))
                .addInitializer(TensorProto.newBuilder().setName("onnx::Sqrt_7")
                        .setDataType(TensorProto.DataType.FLOAT_VALUE).addFloatData(8f))
                .addInitializer(TensorProto.newBuilder().setName("position_ids").addDims(2)
                        .setDataType(TensorProto.DataType.INT64_VALUE).addInt64Data(0).addInt64Data(1))
                .addNode(NodeProto.newBuilder().setOpType("MatMul").setName("/dense/MatMul")
                        .addInput("x").addInput("onnx::MatMul_5").addOutput("/dense/MatMul_output_0"))
                .addNode(NodeProto.newBuilder().setOpType(consumerOfMatMul).setName("/dense/Add")
                        .addInput("dense.bias").addInput("/dense/MatMul_output_0").addOutput("y"))
                .addInput(ValueInfoProto.newBuilder().setName("x"))
                .addOutput(ValueInfoProto.newBuilder().setName("y"));
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("test").setGraph(g);
    }

    static Path write(Path dir, ModelProto.Builder model) throws Exception {
        Path file = dir.resolve("tiny.onnx");
        Files.write(file, model.build().toByteArray());
        return file;
    }

    @Test
    void anonymousMatMulWeightIsNamedByTheBiasOfItsAddAndTransposed(@TempDir Path dir) throws Exception {
        OnnxWeights weights = OnnxWeights.read(write(dir, graph("Add")));
        // initializer order, anonymous weights under their recovered names
        assertEquals(List.of("dense.weight", "dense.bias", "norm.weight"), weights.names());
        assertEquals(new Shape(2, 3), weights.shape("dense.weight"));
        assertEquals(List.of("onnx::Sqrt_7 (graph constant ())", "position_ids (INT64)"), weights.skipped());
        assertEquals(List.of("x"), weights.graphInputs());
        assertEquals(List.of("y"), weights.graphOutputs());
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, weights.load("dense.weight", m).toFloatArray());
            assertArrayEquals(new float[] {0.5f, -0.5f}, weights.load("dense.bias", m).toFloatArray());
        }
    }

    @Test
    void matMulWeightWithoutABiasAddIsAnErrorNamingIt(@TempDir Path dir) throws Exception {
        Path file = write(dir, graph("Relu"));
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxWeights.read(file));
        assertTrue(e.getMessage().contains("onnx::MatMul_5") && e.getMessage().contains("/dense/MatMul_output_0"), e.getMessage());
    }

    @Test
    void bytesThatAreNotAnOnnxModelAreRejected(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.onnx");
        Files.write(file, new byte[] {(byte) 0xff, (byte) 0xff, 0x01, 0x02});
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxWeights.read(file));
        assertTrue(e.getMessage().contains("bad.onnx"), e.getMessage());
    }

    @Test
    void miniLmExportYieldsTheHundredAndOneEncoderTensorsOfItsCheckpoint() {
        OnnxWeights w = PretrainedModels.miniLmL6V2Weights();
        // fixtures/minilm/NOTE.md: 101 checkpoint tensors equal ONNX initializers; position_ids is a buffer
        assertEquals(101, w.names().size());
        assertEquals(List.of("embeddings.position_ids (INT64)"), w.skipped());
        assertEquals(new Shape(384, 384), w.shape("encoder.layer.5.attention.self.value.weight"));
        assertEquals(new Shape(1536, 384), w.shape("encoder.layer.0.intermediate.dense.weight"));
        assertEquals(new Shape(384, 1536), w.shape("encoder.layer.3.output.dense.weight"));
        assertEquals(new Shape(30522, 384), w.shape("embeddings.word_embeddings.weight"));
        assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), w.graphInputs());
    }
}

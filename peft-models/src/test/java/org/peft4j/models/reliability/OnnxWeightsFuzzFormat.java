package org.peft4j.models.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.protobuf.ByteString;

import org.peft4j.core.io.CorruptSafetensorsCorpus;
import org.peft4j.core.reliability.FuzzFormat;
import org.peft4j.core.reliability.FuzzInput;
import org.peft4j.models.checkpoint.CheckpointException;
import org.peft4j.models.onnx.OnnxWeights;
import org.peft4j.models.onnx.proto.GraphProto;
import org.peft4j.models.onnx.proto.ModelProto;
import org.peft4j.models.onnx.proto.NodeProto;
import org.peft4j.models.onnx.proto.TensorProto;
import org.peft4j.models.onnx.proto.ValueInfoProto;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * {@link OnnxWeights#read(java.io.InputStream, String)} on mutated bytes of a small ONNX model built here: two
 * linear layers exported as PyTorch does ({@code MatMul} with an anonymous {@code onnx::MatMul_*} weight {@code
 * [in, out]}, then {@code Add} with {@code <module>.bias}), one weight in {@code raw_data} and one in {@code
 * float_data}, plus a named LayerNorm weight and an INT64 buffer. Half of the inputs flip, cut or splice the
 * serialized bytes; the other half change the protobuf first: an initializer's dims (including counts past
 * 10^12 and negative ones), data type, raw or float data length, a name, or a node's inputs / outputs / op type.
 * Rejections documented by the reader are {@code OnnxFormatException} / {@link CheckpointException} (both also when
 * {@code load} finds data that does not fit the shape) and {@link IOException}. An accepted model must load every
 * weight with its reported shape.
 */
final class OnnxWeightsFuzzFormat implements FuzzFormat, AutoCloseable {

    private final NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    private final Map<String, Integer> rejectedBy = new TreeMap<>();
    private final ModelProto valid = model();
    private final byte[] validBytes = valid.toByteArray();

    /** @return the valid model: {@code y = dense2(dense1(x))} with a LayerNorm weight and an INT64 buffer */
    static ModelProto model() {
        GraphProto.Builder g = GraphProto.newBuilder().setName("two-linear")
                .addInitializer(TensorProto.newBuilder().setName("onnx::MatMul_11").addDims(4).addDims(3)
                        .setDataType(TensorProto.DataType.FLOAT_VALUE).setRawData(raw(12)))
                .addInitializer(floats("dense1.bias", 3).addDims(3))
                .addInitializer(floats("onnx::MatMul_12", 6).addDims(3).addDims(2))
                .addInitializer(floats("dense2.bias", 2).addDims(2))
                .addInitializer(floats("norm.weight", 2).addDims(2))
                .addInitializer(TensorProto.newBuilder().setName("position_ids").addDims(2)
                        .setDataType(TensorProto.DataType.INT64_VALUE).addInt64Data(0).addInt64Data(1))
                .addNode(NodeProto.newBuilder().setOpType("MatMul").setName("/dense1/MatMul")
                        .addInput("x").addInput("onnx::MatMul_11").addOutput("/dense1/MatMul_output_0"))
                .addNode(NodeProto.newBuilder().setOpType("Add").setName("/dense1/Add")
                        .addInput("dense1.bias").addInput("/dense1/MatMul_output_0").addOutput("h"))
                .addNode(NodeProto.newBuilder().setOpType("MatMul").setName("/dense2/MatMul")
                        .addInput("h").addInput("onnx::MatMul_12").addOutput("/dense2/MatMul_output_0"))
                .addNode(NodeProto.newBuilder().setOpType("Add").setName("/dense2/Add")
                        .addInput("dense2.bias").addInput("/dense2/MatMul_output_0").addOutput("y"))
                .addInput(ValueInfoProto.newBuilder().setName("x"))
                .addOutput(ValueInfoProto.newBuilder().setName("y"));
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("fuzz").setGraph(g).build();
    }

    private static TensorProto.Builder floats(String name, int count) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE);
        for (int i = 0; i < count; i++) {
            t.addFloatData(0.25f * i - 0.5f);
        }
        return t;
    }

    static ByteString raw(int count) {
        ByteBuffer b = ByteBuffer.allocate(count * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            b.putFloat(0.125f * i);
        }
        b.flip();
        return ByteString.copyFrom(b);
    }

    @Override
    public String name() {
        return "onnx-initializers";
    }

    @Override
    public void prepare(Path work) {
        // every input is a single self-contained file
    }

    @Override
    public FuzzInput input(long seed, int index, Path work) throws IOException {
        Random random = new Random(seed * 1_000_003L + index);
        Path file = work.resolve("model.onnx");
        if (random.nextBoolean()) {
            // the byte-level mutations of the corpus do not depend on the safetensors layout
            CorruptSafetensorsCorpus.Case c = CorruptSafetensorsCorpus.randomCases(validBytes, random.nextLong(), 1)
                    .get(0);
            Files.write(file, c.bytes());
            return FuzzInput.either("bytes: " + c.label(), file);
        }
        ModelProto.Builder m = valid.toBuilder();
        GraphProto.Builder g = m.getGraphBuilder();
        String label;
        int t = random.nextInt(g.getInitializerCount());
        TensorProto.Builder init = g.getInitializerBuilder(t);
        switch (random.nextInt(8)) {
            case 0: {
                long[] palette = {0, 1, -1, -4, 5, 1_000_000, 1L << 32, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 62};
                int dims = random.nextInt(4);
                init.clearDims();
                for (int i = 0; i < dims; i++) {
                    init.addDims(palette[random.nextInt(palette.length)]);
                }
                label = init.getName() + " dims set to " + init.getDimsList();
                break;
            }
            case 1: {
                int type = random.nextInt(20) - 2;
                init.setDataType(type);
                label = init.getName() + " data_type set to " + type;
                break;
            }
            case 2: {
                int count = random.nextInt(20);
                if (init.hasRawData()) {
                    init.setRawData(raw(count));
                } else {
                    init.clearFloatData();
                    for (int i = 0; i < count; i++) {
                        init.addFloatData(i);
                    }
                }
                label = init.getName() + " data set to " + count + " floats";
                break;
            }
            case 3: {
                init.setRawData(ByteString.copyFrom(new byte[random.nextInt(50)]));
                label = init.getName() + " raw_data of " + init.getRawData().size() + " bytes added";
                break;
            }
            case 4: {
                String[] names = {"", "onnx::MatMul_99", "dense1.bias", "norm.weight", "x", "a.bias"};
                String to = names[random.nextInt(names.length)];
                label = init.getName() + " renamed to '" + to + "'";
                init.setName(to);
                break;
            }
            case 5: {
                init.setDataLocation(TensorProto.DataLocation.EXTERNAL);
                label = init.getName() + " marked external";
                break;
            }
            default: {
                int n = random.nextInt(g.getNodeCount());
                NodeProto.Builder node = g.getNodeBuilder(n);
                switch (random.nextInt(4)) {
                    case 0 -> node.clearOutput();
                    case 1 -> node.clearInput();
                    case 2 -> node.setOpType(random.nextBoolean() ? "Add" : "MatMul");
                    default -> node.addInput("onnx::MatMul_11");
                }
                label = "node " + node.getName() + " now " + node.getOpType() + " " + node.getInputList() + " -> "
                        + node.getOutputList();
            }
        }
        Files.write(file, m.build().toByteArray());
        return FuzzInput.either(label, file);
    }

    @Override
    public void check(FuzzInput input) throws IOException {
        try (NDManager scratch = manager.newSubManager()) {
            OnnxWeights w = OnnxWeights.read(new ByteArrayInputStream(Files.readAllBytes(input.path())),
                    input.path().getFileName().toString());
            for (String name : w.names()) {
                NDArray a = w.load(name, scratch);
                assertEquals(w.shape(name), a.getShape(), name);
            }
        } catch (CheckpointException e) {
            rejectedBy.merge(e.getClass().getSimpleName(), 1, Integer::sum);
            throw new TypedRejection(e);
        } catch (IOException e) {
            rejectedBy.merge(e.getClass().getSimpleName(), 1, Integer::sum);
            throw e;
        }
    }

    /** @return rejections by the reader's own exception class */
    Map<String, Integer> rejectedBy() {
        return rejectedBy;
    }

    @Override
    public void close() {
        manager.close();
    }
}

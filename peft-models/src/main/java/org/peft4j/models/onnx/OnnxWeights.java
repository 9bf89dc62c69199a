package org.peft4j.models.onnx;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;

import org.peft4j.models.checkpoint.TensorSource;
import org.peft4j.models.onnx.proto.GraphProto;
import org.peft4j.models.onnx.proto.ModelProto;
import org.peft4j.models.onnx.proto.NodeProto;
import org.peft4j.models.onnx.proto.TensorProto;
import org.peft4j.models.onnx.proto.ValueInfoProto;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The float32 weights of a transformer exported to ONNX (a BERT-family encoder exported from
 * PyTorch), named by Hugging Face state-dict keys relative to the exported module ({@code
 * embeddings.word_embeddings.weight}, {@code encoder.layer.0.attention.self.query.weight}).
 *
 * <p>Naming follows the exporter's conventions: an initializer with a module name keeps it. A linear
 * layer's weight is exported transposed ({@code [in, out]}) under an anonymous name {@code
 * onnx::MatMul_N} as the second input of a {@code MatMul}; its name is recovered by following the
 * {@code MatMul}'s output to the {@code Add} that consumes it, whose other input is the layer's
 * {@code <module>.bias}, and it is transposed back to {@code [out, in]}. Float32 initializers that
 * are neither (graph constants) and initializers of other types are left out and listed by {@link
 * #skipped()}.
 *
 * <p>The file is parsed with protobuf-java from the ONNX IR's own field numbers (see {@code
 * onnx_subset.proto}); tensor data is read from {@code raw_data} (little-endian) or {@code
 * float_data}. External data is not supported.
 */
public final class OnnxWeights implements TensorSource {

    private static final String ANONYMOUS = "onnx::";

    private final String description;
    private final Map<String, Weight> weights;
    private final List<String> skipped;
    private final List<String> inputs;
    private final List<String> outputs;

    private record Weight(TensorProto tensor, Shape shape, boolean transposed) {}

    private OnnxWeights(String description, Map<String, Weight> weights, List<String> skipped,
                        List<String> inputs, List<String> outputs) {
        this.description = description;
        this.weights = weights;
        this.skipped = skipped;
        this.inputs = inputs;
        this.outputs = outputs;
    }

    /**
     * Reads an {@code .onnx} file.
     *
     * @param file the model file
     * @return the weights
     * @throws OnnxFormatException if the file is not a readable ONNX model or a weight cannot be named
     */
    public static OnnxWeights read(Path file) {
        try {
            return parse(Files.readAllBytes(file), file.toString());
        } catch (IOException e) {
            throw new OnnxFormatException("cannot read ONNX file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads an ONNX model from a stream (for example a classpath resource); the stream is read to
     * its end but not closed.
     *
     * @param in the model bytes
     * @param description where they come from, for messages
     * @return the weights
     * @throws OnnxFormatException if the bytes are not a readable ONNX model or a weight cannot be named
     */
    public static OnnxWeights read(InputStream in, String description) {
        try {
            return parse(in.readAllBytes(), description);
        } catch (IOException e) {
            throw new OnnxFormatException("cannot read ONNX model " + description + ": " + e.getMessage(), e);
        }
    }

    private static OnnxWeights parse(byte[] bytes, String description) {
        ModelProto model;
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            // tensor bytes alias the array instead of being copied
            in.enableAliasing(true);
            in.setSizeLimit(Integer.MAX_VALUE);
            model = ModelProto.parseFrom(in);
        } catch (IOException e) {
            // InvalidProtocolBufferException is an IOException; reading from an array fails no other way
            throw new OnnxFormatException(description + " is not an ONNX model: " + e.getMessage(), e);
        }
        if (!model.hasGraph()) {
            throw new OnnxFormatException(description + " is not an ONNX model: it has no graph");
        }
        GraphProto graph = model.getGraph();
        Map<String, TensorProto> initializers = new LinkedHashMap<>();
        for (TensorProto t : graph.getInitializerList()) {
            initializers.put(t.getName(), t);
        }
        Map<String, String> anonymousNames = nameAnonymousWeights(graph, initializers, description);

        Map<String, Weight> weights = new LinkedHashMap<>();
        List<String> skipped = new ArrayList<>();
        for (TensorProto t : initializers.values()) {
            String name = t.getName();
            if (t.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
                skipped.add(name + " (" + dataTypeName(t.getDataType()) + ")");
                continue;
            }
            if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
                throw new OnnxFormatException(
                        description + ": initializer '" + name + "' keeps its data in an external file, which is not supported");
            }
            Shape stored = new Shape(checkedDims(t, description));
            if (name.startsWith(ANONYMOUS)) {
                String hfName = anonymousNames.get(name);
                if (hfName == null) {
                    skipped.add(name + " (graph constant " + stored + ")");
                    continue;
                }
                put(weights, hfName, new Weight(t, new Shape(stored.get(1), stored.get(0)), true), description);
            } else {
                put(weights, name, new Weight(t, stored, false), description);
            }
        }
        List<String> in = new ArrayList<>();
        for (ValueInfoProto v : graph.getInputList()) {
            if (!initializers.containsKey(v.getName())) {
                in.add(v.getName());
            }
        }
        List<String> out = new ArrayList<>();
        for (ValueInfoProto v : graph.getOutputList()) {
            out.add(v.getName());
        }
        return new OnnxWeights(description, weights, List.copyOf(skipped), List.copyOf(in), List.copyOf(out));
    }

    private static void put(Map<String, Weight> weights, String name, Weight w, String description) {
        if (weights.putIfAbsent(name, w) != null) {
            throw new OnnxFormatException(description + ": two initializers are named (or resolve to) '" + name + "'");
        }
    }

    /**
     * Names every anonymous {@code MatMul} weight: the {@code Add} consuming the product has the
     * layer's bias ({@code <module>.bias}) as its other input, and the weight is {@code <module>.weight}.
     */
    private static Map<String, String> nameAnonymousWeights(
            GraphProto graph, Map<String, TensorProto> initializers, String description) {
        Map<String, List<NodeProto>> consumers = new HashMap<>();
        for (NodeProto node : graph.getNodeList()) {
            for (String input : node.getInputList()) {
                consumers.computeIfAbsent(input, k -> new ArrayList<>()).add(node);
            }
        }
        Map<String, String> names = new LinkedHashMap<>();
        for (NodeProto node : graph.getNodeList()) {
            if (!node.getOpType().equals("MatMul") || node.getInputCount() != 2) {
                continue;
            }
            String weight = node.getInput(1);
            TensorProto t = initializers.get(weight);
            if (t == null || !weight.startsWith(ANONYMOUS) || t.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
                continue;
            }
            if (t.getDimsCount() != 2) {
                throw new OnnxFormatException(
                        description + ": MatMul weight '" + weight + "' has shape " + t.getDimsList() + ", expected [in, out]");
            }
            if (node.getOutputCount() != 1) {
                throw new OnnxFormatException(
                        description + ": MatMul node '" + node.getName() + "' with weight '" + weight + "' has "
                                + node.getOutputCount() + " outputs, expected 1");
            }
            String module = null;
            for (NodeProto add : consumers.getOrDefault(node.getOutput(0), List.of())) {
                if (!add.getOpType().equals("Add")) {
                    continue;
                }
                for (String other : add.getInputList()) {
                    if (other.endsWith(".bias") && initializers.containsKey(other)) {
                        module = other.substring(0, other.length() - ".bias".length());
                    }
                }
            }
            if (module == null) {
                throw new OnnxFormatException(
                        description + ": cannot name MatMul weight '" + weight + "' (node '" + node.getName()
                                + "'): its output '" + node.getOutput(0)
                                + "' is not consumed by an Add with a '<module>.bias' initializer");
            }
            String previous = names.put(weight, module + ".weight");
            if (previous != null && !previous.equals(module + ".weight")) {
                throw new OnnxFormatException(
                        description + ": MatMul weight '" + weight + "' is used by two layers, " + previous + " and "
                                + module + ".weight");
            }
        }
        return names;
    }

    /**
     * Returns the initializers that are not weights, with the reason ({@code "onnx::Sqrt_12 (graph
     * constant ())"}, {@code "x (INT64)"}).
     *
     * @return the skipped initializers
     */
    public List<String> skipped() {
        return skipped;
    }

    /**
     * Returns the names of the graph's inputs that are not initializers (for a BERT export {@code
     * input_ids}, {@code attention_mask}, {@code token_type_ids}).
     *
     * @return the input names
     */
    public List<String> graphInputs() {
        return inputs;
    }

    /**
     * Returns the names of the graph's outputs.
     *
     * @return the output names
     */
    public List<String> graphOutputs() {
        return outputs;
    }

    /** {@inheritDoc} */
    @Override
    public List<String> names() {
        return Collections.unmodifiableList(new ArrayList<>(weights.keySet()));
    }

    /** {@inheritDoc} */
    @Override
    public Shape shape(String name) {
        return weight(name).shape();
    }

    /**
     * {@inheritDoc}
     *
     * <p>Anonymous {@code MatMul} weights are returned transposed, {@code [out, in]}.
     */
    @Override
    public NDArray load(String name, NDManager manager) {
        Weight w = weight(name);
        float[] values = floats(w.tensor(), name);
        if (w.transposed()) {
            int rows = (int) w.shape().get(1); // stored [in, out]: in rows
            int cols = (int) w.shape().get(0);
            float[] t = new float[values.length];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    t[c * rows + r] = values[r * cols + c];
                }
            }
            values = t;
        }
        return manager.create(values, w.shape());
    }

    /** {@inheritDoc} */
    @Override
    public String description() {
        return description;
    }

    private Weight weight(String name) {
        Weight w = weights.get(name);
        if (w == null) {
            throw new IllegalArgumentException("no weight '" + name + "' in " + description);
        }
        return w;
    }

    /**
     * The dims of an initializer, checked before anything is sized by them: none negative, and their product (the
     * element count) within a long.
     */
    private static long[] checkedDims(TensorProto t, String description) {
        long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        long count = 1;
        for (long d : dims) {
            if (d < 0) {
                throw new OnnxFormatException(description + ": initializer '" + t.getName() + "' has a negative dimension in "
                        + t.getDimsList() + "; dimensions must be >= 0");
            }
            try {
                count = Math.multiplyExact(count, d);
            } catch (ArithmeticException e) {
                throw new OnnxFormatException(description + ": initializer '" + t.getName() + "' has dims " + t.getDimsList()
                        + " whose element count overflows a 64-bit integer");
            }
        }
        return dims;
    }

    private float[] floats(TensorProto t, String name) {
        long count = 1;
        for (long d : t.getDimsList()) {
            count *= d;
        }
        float[] values;
        if (t.hasRawData()) {
            ByteString raw = t.getRawData();
            if (raw.size() != count * Float.BYTES) {
                throw new OnnxFormatException(
                        description + ": initializer '" + t.getName() + "' (" + name + ") has " + raw.size()
                                + " bytes of data for " + count + " float32 values");
            }
            FloatBuffer fb = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            values = new float[fb.remaining()];
            fb.get(values);
        } else {
            if (t.getFloatDataCount() != count) {
                throw new OnnxFormatException(
                        description + ": initializer '" + t.getName() + "' (" + name + ") has " + t.getFloatDataCount()
                                + " float_data values for shape " + t.getDimsList());
            }
            values = new float[(int) count];
            for (int i = 0; i < values.length; i++) {
                values[i] = t.getFloatData(i);
            }
        }
        return values;
    }

    private static String dataTypeName(int type) {
        TensorProto.DataType t = TensorProto.DataType.forNumber(type);
        return t == null ? "data type " + type : t.name();
    }
}

package org.peft4j.quant.bnb;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.peft4j.core.io.SafetensorsReader;
import org.peft4j.core.io.SafetensorsWriter;
import org.peft4j.quant.QuantState;
import org.peft4j.quant.QuantStateException;
import org.peft4j.quant.QuantType;
import org.peft4j.quant.blockwise.ManagedView;
import org.peft4j.quant.blockwise.NestedStatistics;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * bitsandbytes' checkpoint layout of a 4-bit weight ({@code Linear4bit._save_to_state_dict}), both
 * directions. For a weight key {@code W} (e.g. {@code model.layers.0.self_attn.q_proj.weight}):
 *
 * <table>
 *   <caption>tensors of one quantized weight</caption>
 *   <tr><th>key</th><th>dtype</th><th>shape</th><th>content</th></tr>
 *   <tr><td>{@code W}</td><td>uint8</td><td>{@code [(n+1)/2, 1]}</td><td>packed codes</td></tr>
 *   <tr><td>{@code W.absmax}</td><td>float32 / uint8 (DQ)</td><td>{@code [ceil(n/B)]}</td>
 *       <td>absmax, or its 8-bit codes</td></tr>
 *   <tr><td>{@code W.quant_map}</td><td>float32</td><td>{@code [16]}</td><td>code book</td></tr>
 *   <tr><td>{@code W.nested_absmax}</td><td>float32</td><td>{@code [ceil(nb/256)]}</td><td>DQ only</td></tr>
 *   <tr><td>{@code W.nested_quant_map}</td><td>float32</td><td>{@code [256]}</td><td>DQ only</td></tr>
 *   <tr><td>{@code W.quant_state.bitsandbytes__nf4} (or {@code __fp4})</td><td>uint8</td>
 *       <td>{@code [bytes]}</td><td>UTF-8 JSON, see {@link BnbStateHeader}</td></tr>
 * </table>
 */
public final class BnbCheckpoint {

    /** The key infix of the JSON state tensor, followed by the quant type name. */
    public static final String STATE_INFIX = ".quant_state.bitsandbytes__";

    private BnbCheckpoint() {}

    /**
     * Returns the tensors of {@code state} under bitsandbytes' keys, in bitsandbytes' order.
     *
     * @param weightKey the key of the packed weight, e.g. {@code encoder.layer.0.query.weight}
     * @param state the state
     * @param manager owns the returned arrays: views of the state's arrays (closing them does not
     *     close the state) and the new uint8 JSON tensor
     * @return ordered key to tensor
     */
    public static Map<String, NDArray> toTensors(String weightKey, QuantState state, NDManager manager) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        out.put(weightKey, ManagedView.of(state.packed(), manager));
        out.put(weightKey + ".absmax", ManagedView.of(state.absmax(), manager));
        out.put(weightKey + ".quant_map", ManagedView.of(state.quantMap(), manager));
        if (state.doubleQuantized()) {
            out.put(weightKey + ".nested_absmax", ManagedView.of(state.nested().absmax(), manager));
            out.put(weightKey + ".nested_quant_map", ManagedView.of(state.nested().quantMap(), manager));
        }
        byte[] json = BnbStateHeader.of(state).toJson().getBytes(StandardCharsets.UTF_8);
        ByteBuffer buffer = ByteBuffer.allocateDirect(json.length);
        buffer.put(json).flip();
        out.put(stateKey(weightKey, state.quantType()), manager.create(buffer, new Shape(json.length), DataType.UINT8));
        return out;
    }

    /**
     * Reads the state of one weight from bitsandbytes' tensors.
     *
     * @param weightKey the key of the packed weight
     * @param tensors the checkpoint's tensors (other keys are ignored)
     * @param manager owns the state's arrays (views of the given tensors; closing the state does not
     *     close them)
     * @return the validated state
     * @throws QuantStateException naming the tensor and the problem: missing tensors, bad JSON, an
     *     unknown {@code quant_type}, a block size that is not allowed, wrong statistics lengths or
     *     dtypes, truncated packed data, a shape whose element count does not match
     */
    public static QuantState fromTensors(String weightKey, Map<String, NDArray> tensors, NDManager manager) {
        String stateKey = findStateKey(weightKey, tensors.keySet());
        NDArray stateTensor = tensors.get(stateKey);
        if (stateTensor.getDataType() != DataType.UINT8 && stateTensor.getDataType() != DataType.INT8) {
            throw new QuantStateException(stateKey + ": must be uint8 UTF-8 JSON bytes, is " + stateTensor.getDataType());
        }
        String json = new String(stateTensor.toByteArray(), StandardCharsets.UTF_8);
        BnbStateHeader header = BnbStateHeader.parse(stateKey, json);
        String suffixType = stateKey.substring(stateKey.lastIndexOf("__") + 2);
        if (!suffixType.equals(header.quantType().bnbName())) {
            throw new QuantStateException(
                    stateKey + ": key says '" + suffixType + "' but quant_type is '" + header.quantType().bnbName() + "'");
        }
        NDArray packed = tensor(tensors, weightKey);
        NDArray absmax = tensor(tensors, weightKey + ".absmax");
        NDArray quantMap = tensor(tensors, weightKey + ".quant_map");
        NDArray nestedAbsmax = tensors.get(weightKey + ".nested_absmax");
        NDArray nestedMap = tensors.get(weightKey + ".nested_quant_map");
        NestedStatistics nested = null;
        if (header.nested()) {
            if (nestedAbsmax == null || nestedMap == null) {
                throw new QuantStateException(
                        (nestedAbsmax == null ? weightKey + ".nested_absmax" : weightKey + ".nested_quant_map")
                                + ": tensor is missing but " + stateKey + " declares double quantization");
            }
        } else if (nestedAbsmax != null || nestedMap != null) {
            throw new QuantStateException(
                    (nestedAbsmax != null ? weightKey + ".nested_absmax" : weightKey + ".nested_quant_map")
                            + ": present but " + stateKey + " has no nested_blocksize/nested_offset");
        }
        // validate before taking views so that nothing is allocated for a bad state
        NestedStatistics declared =
                header.nested()
                        ? new NestedStatistics(nestedAbsmax, nestedMap, header.nestedBlocksize(), header.nestedOffset())
                        : null;
        QuantState.validate(
                weightKey, header.quantType(), header.blocksize(), header.dtype(), header.shape(), packed, absmax,
                quantMap, declared);
        if (header.nested()) {
            nested = new NestedStatistics(
                    ManagedView.of(nestedAbsmax, manager),
                    ManagedView.of(nestedMap, manager),
                    header.nestedBlocksize(),
                    header.nestedOffset());
        }
        NDArray packedView;
        try (NDArray view = ManagedView.of(packed, manager)) {
            packedView = view.reshape(packed.size(), 1);
        }
        return new QuantState(
                header.quantType(),
                header.blocksize(),
                header.dtype(),
                header.shape(),
                packedView,
                ManagedView.of(absmax, manager),
                ManagedView.of(quantMap, manager),
                nested);
    }

    /**
     * Reads the state of one weight from an open safetensors file.
     *
     * @param reader the file
     * @param weightKey the key of the packed weight
     * @param manager owns the state's arrays (and sets their device)
     * @return the validated state
     * @throws QuantStateException naming the tensor and the problem
     * @throws IOException if reading fails
     */
    public static QuantState read(SafetensorsReader reader, String weightKey, NDManager manager) throws IOException {
        String stateKey = findStateKey(weightKey, reader.names());
        String[] suffixes = {"", ".absmax", ".quant_map", ".nested_absmax", ".nested_quant_map"};
        try (NDManager scratch = manager.newSubManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            tensors.put(stateKey, reader.load(stateKey, scratch));
            for (String suffix : suffixes) {
                String key = weightKey + suffix;
                if (reader.contains(key)) {
                    tensors.put(key, reader.load(key, scratch));
                }
            }
            return fromTensors(weightKey, tensors, manager);
        }
    }

    /**
     * Reads every 4-bit weight of a safetensors file.
     *
     * @param file a checkpoint written by bitsandbytes (or {@link #write})
     * @param manager owns the states' arrays
     * @return weight key to state, in file order
     * @throws QuantStateException naming the tensor and the problem
     * @throws IOException if reading fails
     */
    public static Map<String, QuantState> read(Path file, NDManager manager) throws IOException {
        Map<String, QuantState> out = new LinkedHashMap<>();
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            for (String weightKey : weightKeys(reader.names())) {
                out.put(weightKey, read(reader, weightKey, manager));
            }
        }
        return out;
    }

    /**
     * Writes 4-bit weights (and any other tensors, such as biases) to a safetensors file atomically,
     * in bitsandbytes' layout.
     *
     * @param file the file to create or replace
     * @param states weight key to state
     * @param others further tensors to store as they are (may be empty)
     * @param metadata the {@code __metadata__} strings, or null
     * @throws IOException if writing fails (the file is then untouched)
     */
    public static void write(
            Path file, Map<String, QuantState> states, Map<String, NDArray> others, Map<String, String> metadata)
            throws IOException {
        Objects.requireNonNull(states, "states");
        NDManager owner = null;
        for (QuantState s : states.values()) {
            owner = s.packed().getManager();
            break;
        }
        if (owner == null) {
            SafetensorsWriter.save(file, others == null ? Map.of() : others, metadata);
            return;
        }
        try (NDManager scratch = owner.newSubManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, QuantState> e : states.entrySet()) {
                tensors.putAll(toTensors(e.getKey(), e.getValue(), scratch));
            }
            if (others != null) {
                for (Map.Entry<String, NDArray> e : others.entrySet()) {
                    if (tensors.containsKey(e.getKey())) {
                        throw new IllegalArgumentException("tensor '" + e.getKey() + "' is part of a quantized weight");
                    }
                    tensors.put(e.getKey(), e.getValue());
                }
            }
            SafetensorsWriter.save(file, tensors, metadata);
        }
    }

    /**
     * Returns the weight keys of all 4-bit weights among checkpoint keys: those with a {@code
     * <weight>.quant_state.bitsandbytes__nf4|fp4} tensor, in the given order.
     *
     * @param keys checkpoint tensor names
     * @return the weight keys
     */
    public static List<String> weightKeys(Collection<String> keys) {
        List<String> out = new ArrayList<>();
        for (String key : keys) {
            int at = key.lastIndexOf(STATE_INFIX);
            if (at > 0) {
                String type = key.substring(at + STATE_INFIX.length());
                if (type.equals("nf4") || type.equals("fp4")) {
                    out.add(key.substring(0, at));
                }
            }
        }
        return out;
    }

    /**
     * Returns the key of the JSON state tensor of a weight.
     *
     * @param weightKey the weight key
     * @param type the quant type
     * @return {@code weightKey + ".quant_state.bitsandbytes__" + type}
     */
    public static String stateKey(String weightKey, QuantType type) {
        return weightKey + STATE_INFIX + type.bnbName();
    }

    private static String findStateKey(String weightKey, Collection<String> keys) {
        String found = null;
        for (QuantType type : QuantType.values()) {
            String candidate = stateKey(weightKey, type);
            if (keys.contains(candidate)) {
                if (found != null) {
                    throw new QuantStateException(
                            weightKey + ": has both " + found + " and " + candidate + "; expected exactly one state tensor");
                }
                found = candidate;
            }
        }
        if (found == null) {
            throw new QuantStateException(
                    weightKey + ": no " + weightKey + STATE_INFIX + "nf4 or " + STATE_INFIX.substring(1)
                            + "fp4 tensor; not a bitsandbytes 4-bit weight");
        }
        return found;
    }

    private static NDArray tensor(Map<String, NDArray> tensors, String key) {
        NDArray t = tensors.get(key);
        if (t == null) {
            throw new QuantStateException(key + ": tensor is missing");
        }
        return t;
    }
}

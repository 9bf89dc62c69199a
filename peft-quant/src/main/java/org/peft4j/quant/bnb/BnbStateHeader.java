package org.peft4j.quant.bnb;

import ai.djl.ndarray.types.Shape;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;

import org.peft4j.quant.QuantState;
import org.peft4j.quant.QuantStateException;
import org.peft4j.quant.QuantType;
import org.peft4j.quant.WeightDtype;
import org.peft4j.quant.blockwise.Blocksize;

import java.math.BigDecimal;
import java.util.Set;

/**
 * The JSON part of a bitsandbytes 4-bit state, stored as UTF-8 bytes in the uint8 tensor {@code
 * <weight>.quant_state.bitsandbytes__nf4} (or {@code __fp4}); {@code QuantState.as_dict(packed=True)}.
 * Fields in bitsandbytes' order: {@code quant_type}, {@code blocksize}, {@code dtype}, {@code shape},
 * and with double quantization {@code nested_blocksize}, {@code nested_dtype} ({@code "float32"}),
 * {@code nested_offset}. Written with Python {@code json.dumps}' default separators ({@code ", "},
 * {@code ": "}) and float repr, so the bytes equal bitsandbytes'.
 *
 * @param quantType {@code quant_type}
 * @param blocksize {@code blocksize}
 * @param dtype {@code dtype}
 * @param shape {@code shape}
 * @param nested whether the nested fields are present
 * @param nestedBlocksize {@code nested_blocksize} (0 when not nested)
 * @param nestedOffset {@code nested_offset} (0 when not nested)
 */
public record BnbStateHeader(
        QuantType quantType,
        int blocksize,
        WeightDtype dtype,
        Shape shape,
        boolean nested,
        int nestedBlocksize,
        float nestedOffset) {

    private static final Set<String> KEYS =
            Set.of("quant_type", "blocksize", "dtype", "shape", "nested_blocksize", "nested_dtype", "nested_offset");

    /**
     * Returns the header of a state.
     *
     * @param state the state
     * @return its header
     */
    public static BnbStateHeader of(QuantState state) {
        boolean nested = state.doubleQuantized();
        return new BnbStateHeader(
                state.quantType(),
                state.blocksize(),
                state.dtype(),
                state.shape(),
                nested,
                nested ? state.nested().blocksize() : 0,
                nested ? state.nested().offset() : 0f);
    }

    /**
     * Returns the JSON text exactly as bitsandbytes writes it.
     *
     * @return e.g. {@code {"quant_type": "nf4", "blocksize": 64, "dtype": "float32", "shape": [4, 8]}}
     */
    public String toJson() {
        StringBuilder json = new StringBuilder("{");
        json.append("\"quant_type\": \"").append(quantType.bnbName()).append('"');
        json.append(", \"blocksize\": ").append(blocksize);
        json.append(", \"dtype\": \"").append(dtype.torchName()).append('"');
        json.append(", \"shape\": [");
        long[] dims = shape.getShape();
        for (int i = 0; i < dims.length; i++) {
            json.append(i == 0 ? "" : ", ").append(dims[i]);
        }
        json.append(']');
        if (nested) {
            json.append(", \"nested_blocksize\": ").append(nestedBlocksize);
            json.append(", \"nested_dtype\": \"float32\"");
            json.append(", \"nested_offset\": ").append(PythonFloatRepr.of(nestedOffset));
        }
        return json.append('}').toString();
    }

    /**
     * Parses the JSON of a state tensor.
     *
     * @param key the state tensor's key, for messages
     * @param json the UTF-8 decoded tensor content
     * @return the header
     * @throws QuantStateException naming {@code key} and the bad or missing field
     */
    public static BnbStateHeader parse(String key, String json) {
        JsonObject object;
        try {
            JsonElement root = JsonParser.parseString(json);
            if (!root.isJsonObject()) {
                throw new QuantStateException(key + ": quantization state must be a JSON object, got " + json);
            }
            object = root.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new QuantStateException(key + ": quantization state is not valid JSON: " + e.getMessage(), e);
        }
        for (String field : object.keySet()) {
            if (!KEYS.contains(field)) {
                throw new QuantStateException(key + ": unknown field '" + field + "'; allowed: " + KEYS);
            }
        }
        QuantType quantType;
        try {
            quantType = QuantType.fromBnbName(string(key, object, "quant_type"));
        } catch (IllegalArgumentException e) {
            throw new QuantStateException(key + ": " + e.getMessage(), e);
        }
        int blocksize = integer(key, object, "blocksize");
        if (!Blocksize.isAllowed(blocksize)) {
            throw new QuantStateException(
                    key + ": blocksize " + blocksize + " is not allowed; allowed: " + Blocksize.ALLOWED);
        }
        WeightDtype dtype;
        try {
            dtype = WeightDtype.fromTorchName(string(key, object, "dtype"));
        } catch (IllegalArgumentException e) {
            throw new QuantStateException(key + ": " + e.getMessage(), e);
        }
        Shape shape = shape(key, object);
        boolean nested = object.has("nested_blocksize") || object.has("nested_dtype") || object.has("nested_offset");
        int nestedBlocksize = 0;
        float offset = 0f;
        if (nested) {
            nestedBlocksize = integer(key, object, "nested_blocksize");
            if (!Blocksize.isAllowed(nestedBlocksize)) {
                throw new QuantStateException(
                        key + ": nested_blocksize " + nestedBlocksize + " is not allowed; allowed: " + Blocksize.ALLOWED);
            }
            String nestedDtype = string(key, object, "nested_dtype");
            if (!nestedDtype.equals("float32") && !nestedDtype.equals("torch.float32")) {
                throw new QuantStateException(key + ": nested_dtype must be float32, got '" + nestedDtype + "'");
            }
            offset = (float) number(key, object, "nested_offset").doubleValue();
        }
        return new BnbStateHeader(quantType, blocksize, dtype, shape, nested, nestedBlocksize, offset);
    }

    private static JsonPrimitive primitive(String key, JsonObject object, String field) {
        JsonElement e = object.get(field);
        if (e == null || e.isJsonNull()) {
            throw new QuantStateException(key + ": field '" + field + "' is missing");
        }
        if (!e.isJsonPrimitive()) {
            throw new QuantStateException(key + ": field '" + field + "' must be a scalar, got " + e);
        }
        return e.getAsJsonPrimitive();
    }

    private static String string(String key, JsonObject object, String field) {
        JsonPrimitive p = primitive(key, object, field);
        if (!p.isString()) {
            throw new QuantStateException(key + ": field '" + field + "' must be a string, got " + p);
        }
        return p.getAsString();
    }

    private static BigDecimal number(String key, JsonObject object, String field) {
        JsonPrimitive p = primitive(key, object, field);
        if (!p.isNumber()) {
            throw new QuantStateException(key + ": field '" + field + "' must be a number, got " + p);
        }
        try {
            BigDecimal d = p.getAsBigDecimal();
            // an exponent like 1e99999999 parses, but exact integer conversion of it would take very long
            if (Math.abs(d.scale()) > 1000) {
                throw new QuantStateException(key + ": field '" + field + "' is out of range: " + p);
            }
            return d;
        } catch (NumberFormatException e) {
            throw new QuantStateException(key + ": field '" + field + "' is not a valid number: " + p, e);
        }
    }

    private static int integer(String key, JsonObject object, String field) {
        BigDecimal value = number(key, object, field);
        try {
            return value.intValueExact();
        } catch (ArithmeticException e) {
            throw new QuantStateException(key + ": field '" + field + "' must be an integer, got " + value, e);
        }
    }

    private static Shape shape(String key, JsonObject object) {
        JsonElement e = object.get("shape");
        if (e == null || !e.isJsonArray()) {
            throw new QuantStateException(key + ": field 'shape' must be a list of integers, got " + e);
        }
        JsonArray array = e.getAsJsonArray();
        long[] dims = new long[array.size()];
        for (int i = 0; i < dims.length; i++) {
            JsonElement d = array.get(i);
            try {
                dims[i] = d.getAsJsonPrimitive().getAsBigDecimal().longValueExact();
            } catch (RuntimeException ex) {
                throw new QuantStateException(key + ": field 'shape' must be a list of integers, got " + array, ex);
            }
            if (dims[i] < 0) {
                throw new QuantStateException(key + ": field 'shape' has a negative dimension: " + array);
            }
        }
        return new Shape(dims);
    }
}

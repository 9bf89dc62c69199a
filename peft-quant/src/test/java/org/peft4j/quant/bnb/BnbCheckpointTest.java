package org.peft4j.quant.bnb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.peft4j.quant.ArrayAssert.assertSameBytes;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.peft4j.quant.Fixtures;
import org.peft4j.quant.QuantState;
import org.peft4j.quant.QuantStateException;
import org.peft4j.quant.QuantType;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The checkpoint layout round-trips losslessly (bitsandbytes' {@code from_dict(as_dict())}), and an
 * inconsistent state is refused with an error that names the tensor and the problem.
 */
class BnbCheckpointTest {

    private static final String W = "encoder.layer.0.query.weight";
    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    /** A valid double-quantized NF4 state of the fixture's 33x17 input, under key W. */
    private static Map<String, NDArray> tensors(NDManager m, boolean dq) {
        QuantState state = QuantState.quantize(Fixtures.input("randn_33x17", m), QuantType.NF4, 64, dq, m);
        return new LinkedHashMap<>(BnbCheckpoint.toTensors(W, state, m));
    }

    private static NDArray json(NDManager m, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length);
        buffer.put(bytes).flip();
        return m.create(buffer, new Shape(bytes.length), DataType.UINT8);
    }

    private static String jsonOf(Map<String, NDArray> t) {
        return new String(t.get(W + ".quant_state.bitsandbytes__nf4").toByteArray(), StandardCharsets.UTF_8);
    }

    private static QuantStateException refused(Map<String, NDArray> t, NDManager m, String... fragments) {
        QuantStateException e = assertThrows(QuantStateException.class, () -> BnbCheckpoint.fromTensors(W, t, m));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
        }
        return e;
    }

    @ParameterizedTest(name = "dq={0}")
    @CsvSource({"false", "true"})
    void stateSurvivesToTensorsAndBack(boolean dq) {
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> t = tensors(m, dq);
            QuantState back = BnbCheckpoint.fromTensors(W, t, m);
            Map<String, NDArray> again = BnbCheckpoint.toTensors(W, back, m);
            assertEquals(t.keySet(), again.keySet());
            for (String key : t.keySet()) {
                assertSameBytes(t.get(key), again.get(key), key);
            }
            assertEquals(new Shape(33, 17), back.shape());
        }
    }

    @Test
    void keysFollowBitsandbytesLayout() {
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> t = tensors(m, true);
            assertEquals(
                    java.util.List.of(W, W + ".absmax", W + ".quant_map", W + ".nested_absmax", W + ".nested_quant_map",
                            W + ".quant_state.bitsandbytes__nf4"),
                    java.util.List.copyOf(t.keySet()));
            assertEquals(new Shape(281, 1), t.get(W).getShape(), "(33*17+1)//2 bytes, one column");
            assertEquals(java.util.List.of(W), BnbCheckpoint.weightKeys(t.keySet()));
        }
    }

    @Test
    void absmaxOfWrongLengthIsNamed() {
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> t = tensors(m, false);
            t.put(W + ".absmax", t.get(W + ".absmax").get(new NDIndex("0:5")));
            refused(t, m, W + ".absmax", "has 5 values", "needs ceil(561/64) = 9");
        }
    }

    @Test
    void unknownQuantTypeIsNamed() {
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> t = tensors(m, false);
            t.put(W + ".quant_state.bitsandbytes__nf4", json(m, jsonOf(t).replace("\"nf4\"", "\"int4\"")));
            refused(t, m, W + ".quant_state.bitsandbytes__nf4", "quant_type", "int4", "[nf4, fp4]");
        }
    }

    @Test
    void blocksizeThatIsNotAnAllowedPowerOfTwoIsNamed() {
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> t = tensors(m, false);
            t.put(W + ".quant_state.bitsandbytes__nf4", json(m, jsonOf(t).replace("\"blocksize\": 64", "\"blocksize\": 100")));
            refused(t, m, W + ".quant_state.bitsandbytes__nf4", "blocksize 100", "[32, 64, 128, 256, 512, 1024, 2048, 4096]");
        }
    }

    @Test
    void truncatedPackedDataIsNamed() {
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> t = tensors(m, false);
            t.put(W, t.get(W).get(new NDIndex("0:200")));
            refused(t, m, W + ":", "200 packed bytes", "281", "truncated");
        }
    }

    @Test
    void shapeWhoseProductDoesNotMatchTheDataIsNamed() {
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> t = tensors(m, false);
            t.put(W + ".quant_state.bitsandbytes__nf4", json(m, jsonOf(t).replace("[33, 17]", "[33, 16]")));
            refused(t, m, W + ":", "shape (33, 16)", "needs (n+1)/2 = 264");
        }
    }

    @Test
    void unknownJsonFieldIsNamed() {
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> t = tensors(m, false);
            t.put(W + ".quant_state.bitsandbytes__nf4", json(m, jsonOf(t).replace("}", ", \"quant_storage\": \"uint8\"}")));
            refused(t, m, W + ".quant_state.bitsandbytes__nf4", "unknown field 'quant_storage'");
        }
    }

    @Test
    void missingNestedAbsmaxIsNamed() {
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> t = tensors(m, true);
            t.remove(W + ".nested_absmax");
            refused(t, m, W + ".nested_absmax", "missing");
        }
    }

    @Test
    void float32AbsmaxUnderDoubleQuantizationIsNamed() {
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> t = tensors(m, true);
            t.put(W + ".absmax", t.get(W + ".absmax").toType(DataType.FLOAT32, false));
            refused(t, m, W + ".absmax", "must be uint8", "with double quantization");
        }
    }

    @Test
    void missingStateTensorIsNamed() {
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> t = tensors(m, false);
            t.remove(W + ".quant_state.bitsandbytes__nf4");
            refused(t, m, W, "not a bitsandbytes 4-bit weight");
        }
    }

    @Test
    void invalidJsonIsNamed() {
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> t = tensors(m, false);
            t.put(W + ".quant_state.bitsandbytes__nf4", json(m, "{\"quant_type\": "));
            refused(t, m, W + ".quant_state.bitsandbytes__nf4", "not valid JSON");
        }
    }
}

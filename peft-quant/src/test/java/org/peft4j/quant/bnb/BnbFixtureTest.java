package org.peft4j.quant.bnb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.peft4j.quant.ArrayAssert.assertSameBytes;
import static org.peft4j.quant.ArrayAssert.assertSameFloats;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.peft4j.quant.Fixtures;
import org.peft4j.quant.QuantState;
import org.peft4j.quant.QuantType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Byte-exact agreement with the bitsandbytes reference states for every fixture input, NF4 and FP4,
 * with and without double quantization. Every comparison is exact (0 ulp for floats): the fixture
 * is exact float32 arithmetic (reciprocal-multiply, float32 midpoints, a float64 mean rounded once,
 * {@code map[q] * absmax2 + offset} with two roundings), and our DJL ops perform the same IEEE
 * operations in the same order.
 */
class BnbFixtureTest {

    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (QuantType type : QuantType.values()) {
            for (boolean dq : new boolean[] {false, true}) {
                for (String input : Fixtures.INPUTS) {
                    out.add(Arguments.of(type, dq, input));
                }
            }
        }
        return out.stream();
    }

    private static QuantState quantize(QuantType type, boolean dq, String input, NDManager m) {
        return QuantState.quantize(Fixtures.input(input, m), type, 64, dq, m);
    }

    private static NDArray expected(QuantType type, boolean dq, String key, NDManager m) {
        return Fixtures.tensor(Fixtures.expected(type, dq), key, m);
    }

    @ParameterizedTest(name = "{0} dq={1} {2}")
    @MethodSource("cases")
    void packedBytesEqualBitsandbytes(QuantType type, boolean dq, String input) {
        try (NDManager m = manager.newSubManager()) {
            QuantState state = quantize(type, dq, input, m);
            NDArray want = expected(type, dq, input + ".weight", m);
            assertEquals(want.getShape(), state.packed().getShape(), "packed shape [(n+1)/2, 1]");
            assertSameBytes(want, state.packed(), input + ".weight");
        }
    }

    @ParameterizedTest(name = "{0} dq={1} {2}")
    @MethodSource("cases")
    void statisticsEqualBitsandbytes(QuantType type, boolean dq, String input) {
        try (NDManager m = manager.newSubManager()) {
            QuantState state = quantize(type, dq, input, m);
            String w = input + ".weight";
            // float32 absmax, or uint8 codes with double quantization: compared byte for byte
            assertSameBytes(expected(type, dq, w + ".absmax", m), state.absmax(), w + ".absmax");
            assertSameBytes(expected(type, dq, w + ".quant_map", m), state.quantMap(), w + ".quant_map");
            if (dq) {
                assertSameBytes(expected(type, dq, w + ".nested_absmax", m), state.nested().absmax(), w + ".nested_absmax");
                assertSameBytes(
                        expected(type, dq, w + ".nested_quant_map", m), state.nested().quantMap(), w + ".nested_quant_map");
            }
        }
    }

    @ParameterizedTest(name = "{0} dq={1} {2}")
    @MethodSource("cases")
    void quantStateJsonEqualsBitsandbytesBytes(QuantType type, boolean dq, String input) {
        try (NDManager m = manager.newSubManager()) {
            QuantState state = quantize(type, dq, input, m);
            String w = input + ".weight";
            String key = BnbCheckpoint.stateKey(w, type);
            NDArray want = expected(type, dq, key, m);
            Map<String, NDArray> tensors = BnbCheckpoint.toTensors(w, state, m);
            assertEquals(
                    new String(want.toByteArray(), StandardCharsets.UTF_8),
                    new String(tensors.get(key).toByteArray(), StandardCharsets.UTF_8));
            assertSameBytes(want, tensors.get(key), key);
        }
    }

    @ParameterizedTest(name = "{0} dq={1} {2}")
    @MethodSource("cases")
    void dequantizedValuesEqualBitsandbytesToTheBit(QuantType type, boolean dq, String input) {
        try (NDManager m = manager.newSubManager()) {
            QuantState state = quantize(type, dq, input, m);
            NDArray want = expected(type, dq, input + ".weight.dequantized", m);
            NDArray got = state.dequantize(m);
            assertEquals(want.getShape(), got.getShape());
            assertSameFloats(want.toFloatArray(), got.toFloatArray(), input + " dequantized");
        }
    }

    @ParameterizedTest(name = "{0} dq={1} {2}")
    @MethodSource("cases")
    void readingBitsandbytesCheckpointDequantizesToTheFixture(QuantType type, boolean dq, String input)
            throws IOException {
        try (NDManager m = manager.newSubManager()) {
            Map<String, QuantState> states = BnbCheckpoint.read(Fixtures.expected(type, dq), m);
            assertEquals(Fixtures.INPUTS.size(), states.size(), "one state per input");
            QuantState state = states.get(input + ".weight");
            assertEquals(type, state.quantType());
            assertEquals(dq, state.doubleQuantized());
            NDArray want = expected(type, dq, input + ".weight.dequantized", m);
            assertSameFloats(want.toFloatArray(), state.dequantize(m).toFloatArray(), input + " dequantized from file");
        }
    }

    @ParameterizedTest(name = "{0} dq={1}")
    @MethodSource("types")
    void writtenCheckpointHoldsTheBitsandbytesTensors(QuantType type, boolean dq, @TempDir Path dir) throws IOException {
        try (NDManager m = manager.newSubManager()) {
            Map<String, QuantState> states = new java.util.LinkedHashMap<>();
            for (String input : Fixtures.INPUTS) {
                states.put(input + ".weight", quantize(type, dq, input, m));
            }
            Path file = dir.resolve("model.safetensors");
            BnbCheckpoint.write(file, states, Map.of(), null);
            try (org.peft4j.core.io.SafetensorsReader written = org.peft4j.core.io.SafetensorsReader.open(file);
                    org.peft4j.core.io.SafetensorsReader reference =
                            org.peft4j.core.io.SafetensorsReader.open(Fixtures.expected(type, dq))) {
                for (String key : reference.names()) {
                    if (key.endsWith(".dequantized")) {
                        continue; // not a bitsandbytes key
                    }
                    assertEquals(reference.info(key).dtype(), written.info(key).dtype(), key);
                    assertEquals(List.of(box(reference.info(key).shape())), List.of(box(written.info(key).shape())), key);
                    assertEquals(reference.bytes(key), written.bytes(key), key);
                }
            }
        }
    }

    static Stream<Arguments> types() {
        return Stream.of(
                Arguments.of(QuantType.NF4, false),
                Arguments.of(QuantType.NF4, true),
                Arguments.of(QuantType.FP4, false),
                Arguments.of(QuantType.FP4, true));
    }

    private static Long[] box(long[] a) {
        Long[] out = new Long[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }
}

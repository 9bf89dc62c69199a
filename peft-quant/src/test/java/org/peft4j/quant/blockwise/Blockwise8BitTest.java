package org.peft4j.quant.blockwise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.peft4j.quant.Fixtures;
import org.peft4j.quant.codebook.DynamicMap;

/** Blockwise 8-bit quantization with the signed dynamic map, used alone. */
class Blockwise8BitTest {

    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    @ParameterizedTest(name = "blocksize {0}")
    @ValueSource(ints = {64, 256, 4096})
    void roundTripOfNormalDataStaysUnderBitsandbytesLimits(int blocksize) {
        // bitsandbytes tests/test_functional.py test_dynamic_blockwise_quantization (signed dynamic
        // map, randn): mean abs error < 0.011, mean relative error < 0.018
        try (NDManager m = manager.newSubManager()) {
            NDArray x = Fixtures.input("randn_256x256", m);
            Quantized8Bit q = Blockwise8Bit.quantize(x, blocksize, m);
            assertEquals(DataType.UINT8, q.codes().getDataType());
            assertEquals(x.getShape(), q.codes().getShape());
            NDArray back = Blockwise8Bit.dequantize(q.codes(), q.absmax(), m.create(DynamicMap.values()), blocksize, m);
            NDArray err = back.sub(x).abs();
            double abserr = err.mean().getFloat();
            double relerr = err.div(x.abs().add(1e-8f)).mean().getFloat();
            assertTrue(abserr < 0.011, "abserr " + abserr);
            assertTrue(relerr < 0.018, "relerr " + relerr);
        }
    }

    @Test
    void codeMapEntriesQuantizeToTheirOwnIndex() {
        // every map value is its own nearest code; absmax of the map is 1.0, so s == x
        try (NDManager m = manager.newSubManager()) {
            float[] map = DynamicMap.values();
            Quantized8Bit q = Blockwise8Bit.quantize(m.create(map), 256, m);
            byte[] codes = q.codes().toByteArray();
            for (int i = 0; i < 256; i++) {
                assertEquals(i, codes[i] & 0xFF, "entry " + i + " (" + map[i] + ")");
            }
            assertArrayEquals(new float[] {1f}, q.absmax().toFloatArray());
        }
    }

    @Test
    void valueExactlyBetweenTwoCodesTakesTheLowerCode() {
        try (NDManager m = manager.newSubManager()) {
            float[] map = DynamicMap.values();
            float mid = (map[200] + map[201]) / 2f;
            Quantized8Bit q = Blockwise8Bit.quantize(m.create(new float[] {1f, mid, Math.nextUp(mid)}), 64, m);
            byte[] codes = q.codes().toByteArray();
            assertEquals(200, codes[1] & 0xFF);
            assertEquals(201, codes[2] & 0xFF);
        }
    }

    @Test
    void unsortedCodeMapIsRejected() {
        try (NDManager m = manager.newSubManager()) {
            float[] map = DynamicMap.values();
            map[10] = 0.5f;
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> Blockwise8Bit.quantize(m.create(new float[] {1f}), map, 64, m));
            assertTrue(e.getMessage().contains("sorted"), e.getMessage());
        }
    }
}

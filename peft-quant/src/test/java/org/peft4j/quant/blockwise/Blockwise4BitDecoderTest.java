package org.peft4j.quant.blockwise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.peft4j.quant.ArrayAssert.assertSameFloats;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.peft4j.quant.QuantType;
import org.peft4j.quant.ReferenceQuantizer;

import java.util.Random;

/**
 * A decoder kept across calls gives, every time, the values of the scalar reference (which the
 * bitsandbytes fixtures anchor, see {@link ReferenceAgreementTest}); comparisons are exact, since
 * decoding is a copy of code values and one float32 product per element.
 */
class Blockwise4BitDecoderTest {

    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static float[] normal(int n, long seed) {
        Random random = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    @Test
    void aKeptDecoderDequantizesRepeatedlyToTheReferenceValues() {
        // 33 x 97 = 3201 elements: odd, and the last block of 64 is partial
        int n = 33 * 97;
        float[] x = normal(n, 5);
        try (NDManager m = manager.newSubManager()) {
            ReferenceQuantizer.Result want = ReferenceQuantizer.quantize(x, QuantType.NF4, 64);
            Packed4Bit q = Blockwise4Bit.quantize(m.create(x), QuantType.NF4, 64, m);
            float[] reference = ReferenceQuantizer.dequantize(want, QuantType.NF4, 64, n);
            try (Blockwise4BitDecoder decoder = Blockwise4BitDecoder.create(m.create(QuantType.NF4.codebook()), q.absmax(), 64,
                    new Shape(33, 97), m)) {
                for (int call = 0; call < 3; call++) {
                    try (NDManager step = m.newSubManager()) {
                        NDArray w = decoder.dequantize(q.packed(), step);
                        assertEquals(new Shape(33, 97), w.getShape());
                        assertSameFloats(reference, w.toFloatArray(), "call " + call);
                    }
                }
            }
        }
    }

    @Test
    void dequantizingIntoAReusedBufferGivesTheReferenceValuesOverSeveralPasses() {
        // 1025 x 1031 = 1,056,775 elements: more than one pass of 2^20, odd, last block partial
        Shape shape = new Shape(1025, 1031);
        int n = (int) shape.size();
        assertTrue(n > Blockwise4BitDecoder.PASS);
        try (NDManager m = manager.newSubManager()) {
            NDArray buffer = m.create(shape, ai.djl.ndarray.types.DataType.FLOAT32);
            for (long seed = 7; seed <= 8; seed++) {
                float[] x = normal(n, seed);
                ReferenceQuantizer.Result want = ReferenceQuantizer.quantize(x, QuantType.NF4, 64);
                float[] reference = ReferenceQuantizer.dequantize(want, QuantType.NF4, 64, n);
                Packed4Bit q = Blockwise4Bit.quantize(m.create(x), QuantType.NF4, 64, m);
                try (Blockwise4BitDecoder decoder = Blockwise4BitDecoder.create(m.create(QuantType.NF4.codebook()), q.absmax(), 64,
                        shape, m)) {
                    decoder.dequantizeInto(q.packed(), buffer);
                    assertSameFloats(reference, buffer.toFloatArray(), "into the buffer, seed " + seed);
                    try (NDManager step = m.newSubManager()) {
                        assertSameFloats(reference, decoder.dequantize(q.packed(), step).toFloatArray(), "new array, seed " + seed);
                    }
                }
            }
        }
    }

    @Test
    void rejectsAnOutputBufferOfAnotherTypeOrSize() {
        try (NDManager m = manager.newSubManager();
                Blockwise4BitDecoder decoder = Blockwise4BitDecoder.create(m.create(QuantType.NF4.codebook()),
                        m.ones(new Shape(2)), 64, new Shape(128), m)) {
            NDArray packed = m.zeros(new Shape(64), ai.djl.ndarray.types.DataType.UINT8);
            IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                    () -> decoder.dequantizeInto(packed, m.zeros(new Shape(127))));
            assertTrue(size.getMessage().contains("128") && size.getMessage().contains("127"), size.getMessage());
            IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                    () -> decoder.dequantizeInto(packed, m.zeros(new Shape(128), ai.djl.ndarray.types.DataType.FLOAT64)));
            assertTrue(type.getMessage().contains("float32"), type.getMessage());
        }
    }

    @Test
    void decoderHoldsThePairTableAndOneFloatPerBlock() {
        try (NDManager m = manager.newSubManager();
                Blockwise4BitDecoder decoder = Blockwise4BitDecoder.create(m.create(QuantType.NF4.codebook()),
                        m.ones(new Shape(40)), 64, new Shape(40, 64), m)) {
            // 256 x 2 float32 table + 40 float32 absmax
            assertEquals(256 * 2 * 4 + 40 * 4, decoder.bytesHeld());
        }
    }

    @Test
    void rejectsPackedDataOfAnotherLength() {
        try (NDManager m = manager.newSubManager();
                Blockwise4BitDecoder decoder = Blockwise4BitDecoder.create(m.create(QuantType.NF4.codebook()),
                        m.ones(new Shape(2)), 64, new Shape(128), m)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> decoder.dequantize(m.zeros(new Shape(63), ai.djl.ndarray.types.DataType.UINT8), m));
            assertTrue(e.getMessage().contains("63") && e.getMessage().contains("64"), e.getMessage());
        }
    }

    @Test
    void rejectsAbsmaxOfTheWrongCount() {
        try (NDManager m = manager.newSubManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Blockwise4BitDecoder.create(m.create(QuantType.NF4.codebook()), m.ones(new Shape(3)), 64, new Shape(128), m));
            assertTrue(e.getMessage().contains("absmax") && e.getMessage().contains("2"), e.getMessage());
        }
    }
}

package org.peft4j.quant.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.peft4j.quant.ArrayAssert.assertSameFloats;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.peft4j.core.nn.DenseLinear;
import org.peft4j.quant.QuantConfig;
import org.peft4j.quant.QuantType;
import org.peft4j.quant.ReferenceQuantizer;

/** The frozen 4-bit linear layer. */
class QuantizedLinearTest {

    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static NDArray forward(QuantizedLinear layer, NDArray x) {
        return layer.forward(new ParameterStore(x.getManager(), false), new NDList(x), false).singletonOrThrow();
    }

    @Test
    void forwardEqualsLinearOfTheDequantizedWeight() {
        try (NDManager m = manager.newSubManager()) {
            DenseLinear dense = Layers.dense(m, 96, 40, true, 1);
            QuantizedLinear q = QuantizedLinear.quantize(dense, QuantConfig.qlora());
            NDArray x = Layers.normal(m, 2, 1f, 3, 5, 96);
            NDArray want = Linear.linear(x, q.weightCopy(m), q.bias().getArray()).singletonOrThrow();
            NDArray got = forward(q, x);
            assertEquals(new Shape(3, 5, 40), got.getShape());
            // same float32 operands and the same op; 1e-6 allows a different summation order only
            assertTrue(got.sub(want).abs().max().getFloat() <= 1e-6f, "max |diff| " + got.sub(want).abs().max().getFloat());
        }
    }

    @Test
    void forwardOutputLivesInTheInputsManager() {
        try (NDManager m = manager.newSubManager();
                NDManager batch = manager.newSubManager()) {
            QuantizedLinear q = QuantizedLinear.quantize(Layers.dense(m, 64, 8, true, 3), QuantConfig.qlora());
            NDArray y = forward(q, Layers.normal(batch, 4, 1f, 2, 64));
            assertTrue(y.getManager() == batch, "output manager");
        }
    }

    @Test
    void repeatedForwardHoldsNoExtraArrays() {
        try (NDManager model = manager.newSubManager();
                NDManager batch = manager.newSubManager()) {
            QuantizedLinear q = QuantizedLinear.quantize(Layers.dense(model, 128, 64, true, 5), QuantConfig.qlora());
            NDArray x = Layers.normal(batch, 6, 1f, 4, 128);
            forward(q, x).close();
            int modelArrays = model.getManagedArrays().size();
            int batchArrays = batch.getManagedArrays().size();
            for (int i = 0; i < 20; i++) {
                forward(q, x).close();
            }
            assertEquals(modelArrays, model.getManagedArrays().size(), "arrays in the model's manager");
            assertEquals(batchArrays, batch.getManagedArrays().size(), "arrays in the input's manager");
        }
    }

    @Test
    void halfPrecisionInputComputesInHalfPrecision() {
        try (NDManager m = manager.newSubManager()) {
            QuantizedLinear q = QuantizedLinear.quantize(Layers.dense(m, 64, 16, true, 7), QuantConfig.qlora());
            NDArray x = Layers.normal(m, 8, 1f, 2, 64);
            NDArray y16 = forward(q, x.toType(DataType.FLOAT16, false));
            assertEquals(DataType.FLOAT16, y16.getDataType());
            NDArray y32 = forward(q, x);
            // float16 keeps ~3 decimal digits; outputs are O(10) here, so 0.05 absolute is ~5e-3 relative
            assertTrue(y16.toType(DataType.FLOAT32, false).sub(y32).abs().max().getFloat() < 0.05f);
        }
    }

    @Test
    void bitsPerParameterWithDoubleQuantizationIsAbout4127() {
        // QLoRA §3: 4 + 8/64 + 32/(64*256) = 4.12695 bits; plus the 16- and 256-entry code books and
        // the offset (1092 bytes over 4096*4096 weights, +0.0005 bits) = 4.12747
        try (NDManager m = manager.newSubManager()) {
            // the byte count does not depend on the values: the layer's own (seeded) initialisation will do
            m.getEngine().setRandomSeed(9);
            DenseLinear dense = new DenseLinear(4096, 4096, false);
            dense.initialize(m, DataType.FLOAT32);
            QuantizedLinear dq = QuantizedLinear.quantize(dense, QuantConfig.qlora());
            double bits = 8.0 * dq.bytesHeld() / dq.parameterCount();
            assertEquals(4096L * 4096, dq.parameterCount());
            assertTrue(bits <= 4.13, "bits " + bits);
            assertEquals(4.12747, bits, 1e-5);
            QuantizedLinear plain = QuantizedLinear.quantize(dense, QuantConfig.builder().doubleQuant(false).build());
            double plainBits = 8.0 * plain.bytesHeld() / plain.parameterCount();
            assertTrue(plainBits <= 4.51, "bits " + plainBits);
            assertEquals(4.5 + 8.0 * 64 / (4096.0 * 4096), plainBits, 1e-9, "4 + 32/64 bits + the 16-entry code book");
        }
    }

    @Test
    void loraStyleMergeRequantizesTheSum() {
        try (NDManager m = manager.newSubManager()) {
            QuantizedLinear q = QuantizedLinear.quantize(Layers.dense(m, 128, 32, false, 11), QuantConfig.qlora());
            NDArray before = q.weightCopy(m);
            // a rank-4 update B·A with small entries, as a LoRA delta
            NDArray delta = Layers.normal(m, 12, 0.1f, 32, 4).matMul(Layers.normal(m, 13, 0.1f, 4, 128));
            NDArray sum = before.add(delta);
            q.setWeight(sum);
            NDArray after = q.weightCopy(m);
            // the layer now holds quantize(W + delta): the scalar reference, applied to the same
            // sum, gives the same values to the bit (double quantization changes only the absmax,
            // so compare against a state built the same way)
            try (var reference = org.peft4j.quant.QuantState.quantize(sum, QuantConfig.qlora(), m)) {
                assertSameFloats(reference.dequantize(m).toFloatArray(), after.toFloatArray(), "requantized");
            }
            float[] plainRef = ReferenceQuantizer.dequantize(
                    ReferenceQuantizer.quantize(sum.toFloatArray(), QuantType.NF4, 64), QuantType.NF4, 64, 32 * 128);
            // without double quantization the scalar reference matches exactly; with it the absmax
            // is itself 8-bit, which moves values by < 1% of the block absmax (nf4-spec §3: max
            // relative absmax error 0.82%)
            float maxAbs = sum.abs().max().getFloat();
            NDArray diff = after.sub(m.create(plainRef, new Shape(32, 128))).abs();
            assertTrue(diff.max().getFloat() <= 0.01f * maxAbs, "DQ deviation " + diff.max().getFloat());
            assertFalse(before.contentEquals(after), "weights changed");
        }
    }

    @Test
    void addToWeightIsSetWeightOfCopyPlusDelta() {
        try (NDManager m = manager.newSubManager()) {
            QuantizedLinear a = QuantizedLinear.quantize(Layers.dense(m, 64, 16, true, 14), QuantConfig.qlora());
            QuantizedLinear b = QuantizedLinear.quantize(Layers.dense(m, 64, 16, true, 14), QuantConfig.qlora());
            NDArray delta = Layers.normal(m, 15, 0.05f, 16, 64);
            a.addToWeight(delta);
            b.setWeight(b.weightCopy(m).add(delta));
            assertArrayEquals(a.weightCopy(m).toFloatArray(), b.weightCopy(m).toFloatArray());
        }
    }

    @Test
    void setWeightKeepsTheLayersConfiguration() {
        try (NDManager m = manager.newSubManager()) {
            QuantConfig fp4 = QuantConfig.builder().quantType(QuantType.FP4).blocksize(128).doubleQuant(false).build();
            QuantizedLinear q = QuantizedLinear.quantize(Layers.dense(m, 128, 8, false, 16), fp4);
            q.setWeight(Layers.normal(m, 17, 1f, 8, 128));
            assertEquals(fp4, q.config());
            assertNull(q.bias());
        }
    }

    @Test
    void quantizedLayerCanBeRequantizedWithAnotherConfiguration() {
        try (NDManager m = manager.newSubManager()) {
            QuantizedLinear nf4 = QuantizedLinear.quantize(Layers.dense(m, 64, 8, true, 21), QuantConfig.qlora());
            QuantConfig fp4 = QuantConfig.builder().quantType(QuantType.FP4).doubleQuant(false).build();
            QuantizedLinear requantized = QuantizedLinear.quantize(nf4, fp4);
            assertEquals(fp4, requantized.config());
            float[] want = ReferenceQuantizer.dequantize(
                    ReferenceQuantizer.quantize(nf4.weightCopy(m).toFloatArray(), QuantType.FP4, 64), QuantType.FP4, 64, 8 * 64);
            assertSameFloats(want, requantized.weightCopy(m).toFloatArray(), "FP4 of the NF4 weights");
            assertArrayEquals(nf4.bias().getArray().toFloatArray(), requantized.bias().getArray().toFloatArray());
        }
    }

    @Test
    void setWeightRejectsAWrongShape() {
        try (NDManager m = manager.newSubManager()) {
            QuantizedLinear q = QuantizedLinear.quantize(Layers.dense(m, 64, 8, false, 18), QuantConfig.qlora());
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> q.setWeight(m.zeros(new Shape(64, 8))));
            assertTrue(e.getMessage().contains("[8, 64]"), e.getMessage());
        }
    }

    @Test
    void forwardRejectsAWrongInputWidth() {
        try (NDManager m = manager.newSubManager()) {
            QuantizedLinear q = QuantizedLinear.quantize(Layers.dense(m, 64, 8, false, 19), QuantConfig.qlora());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> forward(q, m.zeros(new Shape(2, 63))));
            assertTrue(e.getMessage().contains("[..., 64]"), e.getMessage());
        }
    }

    @Test
    void parameterCountIsLogicalAndBiasIsFrozen() {
        try (NDManager m = manager.newSubManager()) {
            QuantizedLinear q = QuantizedLinear.quantize(Layers.dense(m, 64, 8, true, 20), QuantConfig.qlora());
            assertEquals(64 * 8 + 8, q.parameterCount());
            assertFalse(q.bias().requiresGradient());
            assertEquals(1, q.getParameters().size(), "only the bias is a DJL parameter");
        }
    }

    @Test
    void decodeCacheIsBuiltOnceAndHoldsThePairTableAndTheRestoredAbsmax() {
        try (NDManager m = manager.newSubManager()) {
            QuantizedLinear q = QuantizedLinear.quantize(Layers.dense(m, 128, 32, true, 17), QuantConfig.qlora());
            assertEquals(0, q.decodeCacheBytes(), "no cache before the first forward");
            forward(q, Layers.normal(m, 18, 1f, 2, 128)).close();
            // 256 x 2 float32 pair table + one float32 per block of 64: 32 * 128 / 64 = 64 blocks
            assertEquals(256 * 2 * 4 + 64 * 4, q.decodeCacheBytes());
        }
    }

    @Test
    void forwardAfterSetWeightUsesTheNewCodesNotTheCachedStatistics() {
        try (NDManager m = manager.newSubManager()) {
            QuantConfig plain = QuantConfig.builder().doubleQuant(false).build();
            QuantizedLinear q = QuantizedLinear.quantize(Layers.dense(m, 128, 32, false, 19), plain);
            NDArray x = Layers.normal(m, 20, 1f, 3, 128);
            forward(q, x).close(); // builds the decode cache of the first weight
            float[] next = Layers.normal(32 * 128, 21, 3f);
            q.setWeight(m.create(next, new Shape(32, 128)));
            float[] reference = ReferenceQuantizer.dequantize(ReferenceQuantizer.quantize(next, QuantType.NF4, 64), QuantType.NF4, 64, 32 * 128);
            NDArray want = Linear.linear(x, m.create(reference, new Shape(32, 128))).singletonOrThrow();
            NDArray got = forward(q, x);
            // same float32 operands and the same op; 1e-4 allows a different summation order only:
            // 128 products of |x·w| up to about 12, each reordering error below 128 * 12 * 2^-24
            assertTrue(got.sub(want).abs().max().getFloat() <= 1e-4f, "max |diff| " + got.sub(want).abs().max().getFloat());
        }
    }
}

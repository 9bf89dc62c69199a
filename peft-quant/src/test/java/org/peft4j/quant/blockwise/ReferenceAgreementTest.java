package org.peft4j.quant.blockwise;

import static org.peft4j.quant.ArrayAssert.assertSameFloats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.peft4j.quant.Fixtures;
import org.peft4j.quant.QuantType;
import org.peft4j.quant.ReferenceQuantizer;
import org.peft4j.quant.codebook.Fp4Codebook;
import org.peft4j.quant.codebook.Nf4Codebook;

import java.util.Random;

/**
 * The DJL kernels agree byte for byte with the scalar reference on cases the fixtures do not cover:
 * every allowed block size, lengths that are odd or not a multiple of the block size, exact ties
 * on both sides of zero, tiny negatives, and inputs longer than one quantization pass. The scalar
 * reference is itself anchored to the bitsandbytes fixtures by {@link #referenceReproducesFixture}.
 */
class ReferenceAgreementTest {

    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static void assertAgrees(float[] x, QuantType type, int blocksize) {
        try (NDManager m = manager.newSubManager()) {
            ReferenceQuantizer.Result want = ReferenceQuantizer.quantize(x, type, blocksize);
            Packed4Bit got = Blockwise4Bit.quantize(m.create(x), type, blocksize, m);
            String label = type + " B=" + blocksize + " n=" + x.length;
            assertArrayEquals(want.packed(), got.packed().toByteArray(), label + " packed");
            assertSameFloats(want.absmax(), got.absmax().toFloatArray(), label + " absmax");
            NDArray back = Blockwise4Bit.dequantize(
                    got.packed(), got.absmax(), m.create(type.codebook()), blocksize, new Shape(x.length), m);
            assertSameFloats(ReferenceQuantizer.dequantize(want, type, blocksize, x.length), back.toFloatArray(),
                    label + " dequantized");
        }
    }

    private static float[] normal(int n, long seed) {
        Random random = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(QuantType.class)
    void referenceReproducesFixture(QuantType type) {
        try (NDManager m = manager.newSubManager()) {
            for (String input : Fixtures.INPUTS) {
                float[] x = Fixtures.input(input, m).toFloatArray();
                byte[] want = Fixtures.tensor(Fixtures.expected(type, false), input + ".weight", m).toByteArray();
                assertArrayEquals(want, ReferenceQuantizer.quantize(x, type, 64).packed(), input);
            }
        }
    }

    @ParameterizedTest(name = "{0} B={1} n={2}")
    @CsvSource({
        "NF4, 32, 1000", "NF4, 64, 4097", "NF4, 128, 333", "NF4, 256, 256", "NF4, 512, 2049", "NF4, 1024, 5000",
        "NF4, 2048, 1", "NF4, 4096, 9001", "FP4, 32, 999", "FP4, 64, 4097", "FP4, 128, 130", "FP4, 4096, 8191"
    })
    void everyBlocksizeAndRaggedLengthAgrees(QuantType type, int blocksize, int n) {
        assertAgrees(normal(n, 31L * blocksize + n), type, blocksize);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(QuantType.class)
    void inputsLongerThanOneQuantizationPassAgree(QuantType type) {
        // 2^20 elements are quantized and dequantized per pass; 3 * 2^20 + 101 spans four passes,
        // the last one partial and odd
        assertAgrees(normal(3 * (1 << 20) + 101, 7), type, 64);
    }

    @Test
    void exactNf4TiesOnBothSignsGoToTheLowerCode() {
        float[] t = Nf4Codebook.thresholds();
        float[] x = new float[2 * t.length + 2];
        x[0] = 1f; // sets absmax to 1, so s == x
        x[1] = -1f;
        for (int i = 0; i < t.length; i++) {
            x[2 + 2 * i] = t[i];
            x[3 + 2 * i] = Math.nextUp(t[i]);
        }
        assertAgrees(x, QuantType.NF4, 32);
    }

    @Test
    void fp4TiesTinyNegativesAndNegativeZeroFollowTheSignMagnitudeRule() {
        float[] t = Fp4Codebook.magnitudeThresholds();
        float[] x = new float[4 * t.length + 4];
        x[0] = 1f;
        x[1] = -0f;
        x[2] = -1e-9f;
        x[3] = 1e-9f;
        for (int i = 0; i < t.length; i++) {
            x[4 + 4 * i] = t[i];
            x[5 + 4 * i] = -t[i];
            x[6 + 4 * i] = Math.nextUp(t[i]);
            x[7 + 4 * i] = -Math.nextUp(t[i]);
        }
        assertAgrees(x, QuantType.FP4, 32);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(QuantType.class)
    void allZeroAndSubnormalBlocksAgree(QuantType type) {
        float[] x = new float[200];
        x[70] = Float.MIN_VALUE;
        x[71] = -3 * Float.MIN_VALUE;
        x[150] = 2.5f;
        assertAgrees(x, type, 32);
    }
}

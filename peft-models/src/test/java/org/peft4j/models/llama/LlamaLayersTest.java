package org.peft4j.models.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.models.layers.RmsNorm;

/** RMSNorm, rotary embeddings and the causal-LM loss against values computed by hand. */
class LlamaLayersTest {

    NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void rmsNormDividesByTheRootMeanSquareAndScales() {
        RmsNorm norm = new RmsNorm(4, 1e-6);
        norm.initialize(manager, DataType.FLOAT32);
        BlockPaths.parameters(norm).get("weight").getArray().set(new float[] {0.5f, 1f, 2f, -1f});
        NDArray x = manager.create(new float[] {1, 2, 3, 4, -2, 0, 0, 2}, new Shape(2, 4));
        float[] y = norm.forward(new ParameterStore(manager, false), new NDList(x), false).head().toFloatArray();
        // row 1: mean square (1 + 4 + 9 + 16) / 4 = 7.5; row 2: (4 + 0 + 0 + 4) / 4 = 2
        double r1 = Math.sqrt(7.5 + 1e-6);
        double r2 = Math.sqrt(2 + 1e-6);
        double[] expected = {0.5 / r1, 2 / r1, 6 / r1, -4 / r1, -1 / r2, 0, 0, -2 / r2};
        for (int i = 0; i < 8; i++) {
            // float32 arithmetic on values of order 1
            assertEquals(expected[i], y[i], 1e-6, "element " + i);
        }
    }

    @Test
    void rotaryEmbeddingRotatesHalfPairsByPositionTimesFrequency() {
        for (double theta : new double[] {10000, 500000}) {
            RotaryEmbedding rope = new RotaryEmbedding(4, theta, null);
            // d = 4: frequencies 1 and theta^(-1/2); pairs (0, 2) and (1, 3)
            double f1 = 1 / Math.sqrt(theta);
            assertEquals(1.0, rope.inverseFrequencies()[0], 0.0);
            // stored as float32: relative rounding error <= 2^-24
            assertEquals(f1, rope.inverseFrequencies()[1], 1e-7 * f1);
            float[] x = {1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4};
            NDArray q = manager.create(x, new Shape(1, 1, 3, 4));
            NDList cs = rope.cosSin(manager, 3);
            float[] y = RotaryEmbedding.apply(q, cs.get(0), cs.get(1)).toFloatArray();
            for (int p = 0; p < 3; p++) {
                double a0 = p * 1.0;
                double a1 = p * f1;
                double[] expected = {
                    1 * Math.cos(a0) - 3 * Math.sin(a0),
                    2 * Math.cos(a1) - 4 * Math.sin(a1),
                    3 * Math.cos(a0) + 1 * Math.sin(a0),
                    4 * Math.cos(a1) + 2 * Math.sin(a1)
                };
                for (int i = 0; i < 4; i++) {
                    // float32 cos/sin of angles <= 2
                    assertEquals(expected[i], y[p * 4 + i], 2e-6, "theta " + theta + " position " + p + " dim " + i);
                }
            }
        }
    }

    @Test
    void llama3RopeScalingKeepsHighDividesLowAndBlendsMiddleFrequencies() {
        // L = 16, low factor 1, high factor 4: wavelengths < 4 kept, > 16 divided by 8, between blended
        RopeScaling scaling = new RopeScaling("llama3", 8, 1, 4, 16);
        double theta = 100;
        RotaryEmbedding rope = new RotaryEmbedding(8, theta, scaling);
        float[] f = rope.inverseFrequencies();
        double[] base = new double[4];
        for (int i = 0; i < 4; i++) {
            base[i] = Math.pow(theta, -2.0 * i / 8);
        }
        // i=0: f=1, wavelength 2π ≈ 6.28 (between 4 and 16): s = (16/6.28 - 1) / 3
        double s0 = (16 / (2 * Math.PI) - 1) / 3;
        assertEquals((1 - s0) * base[0] / 8 + s0 * base[0], f[0], 1e-6);
        // i=1: f = 100^-0.25 ≈ 0.316, wavelength ≈ 19.9 > 16: divided by 8
        assertEquals(base[1] / 8, f[1], 1e-7);
        assertEquals(base[3] / 8, f[3], 1e-8);

        RotaryEmbedding high = new RotaryEmbedding(8, 100, new RopeScaling("llama3", 8, 1, 4, 64));
        // with L = 64, wavelength 2π < 64/4 = 16: the highest frequency is kept
        assertEquals(1.0, high.inverseFrequencies()[0], 0.0);

        RotaryEmbedding linear = new RotaryEmbedding(8, 100, new RopeScaling("linear", 4, 0, 0, 0));
        assertEquals(base[2] / 4, linear.inverseFrequencies()[2], 1e-8);
    }

    @Test
    void causalLmLossIsTheMeanShiftedCrossEntropyOverCountedLabels() {
        // B = 1, T = 3, V = 3
        float[] logits = {
            1.0f, 2.0f, 0.5f, // position 0 predicts label[1]
            0.0f, -1.0f, 3.0f, // position 1 predicts label[2]
            9.0f, 9.0f, 9.0f // position 2 predicts nothing
        };
        NDArray l = manager.create(logits, new Shape(1, 3, 3));
        NDArray labels = manager.create(new long[] {7, 2, 0}, new Shape(1, 3));
        double p0 = -Math.log(Math.exp(0.5) / (Math.exp(1) + Math.exp(2) + Math.exp(0.5)));
        double p1 = -Math.log(Math.exp(0) / (Math.exp(0) + Math.exp(-1) + Math.exp(3)));
        assertEquals((p0 + p1) / 2, CausalLmLoss.compute(l, labels).getFloat(), 1e-6);

        NDArray ignored = manager.create(new long[] {7, 2, CausalLmLoss.IGNORE_INDEX}, new Shape(1, 3));
        assertEquals(p0, CausalLmLoss.compute(l, ignored).getFloat(), 1e-6);

        NDArray none = manager.create(new long[] {7, -100, -100}, new Shape(1, 3));
        assertTrue(Float.isNaN(CausalLmLoss.compute(l, none).getFloat()), "0/0 as in PyTorch");
    }
}

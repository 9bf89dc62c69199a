package org.peft4j.lora.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FullSvdTest {

    /**
     * float32 round-off: sgesdd is backward stable, ||U S Vt - W|| ~ c · min(m,n) · eps · ||W|| with
     * eps = 6e-8; for 64-96 sized matrices this is ~1e-6, so 1e-5 leaves a 10x margin. The same
     * bound holds for the Gram matrices of the (numerically orthonormal) factors.
     */
    private static final float FLOAT32_TOLERANCE = 1e-5f;

    private NDManager manager;

    @BeforeEach
    void openManager() {
        manager = NDManager.newBaseManager(Device.cpu());
    }

    @AfterEach
    void closeManager() {
        manager.close();
    }

    @ParameterizedTest(name = "[{0}, {1}]")
    @CsvSource({"96, 64", "64, 96"})
    void reconstructsRandomMatrixWithOrthonormalFactors(int m, int n) {
        NDArray w = TestMatrices.matrix(manager, TestMatrices.gaussian(7, m, n), m, n);
        int k = Math.min(m, n);
        try (SvdResult svd = Svd.full().decompose(w, manager)) {
            assertEquals(new Shape(m, k), svd.u().getShape());
            assertEquals(new Shape(k), svd.s().getShape());
            assertEquals(new Shape(k, n), svd.vt().getShape());
            assertEquals(DataType.FLOAT32, svd.u().getDataType());
            assertTrue(svd.reconstructionError(w) <= FLOAT32_TOLERANCE, "reconstruction error");
            assertTrue(svd.orthogonalityError() <= FLOAT32_TOLERANCE, "orthogonality error");
        }
    }

    @Test
    void singularValuesEqualTheConstructedSpectrumInDescendingOrder() {
        double[] expected = TestMatrices.geometric(10, 0.8, 40);
        NDArray w =
                TestMatrices.matrix(
                        manager, TestMatrices.withSingularValues(3, 80, 40, expected), 80, 40);
        try (SvdResult svd = Svd.full().decompose(w, manager)) {
            float[] s = svd.s().toFloatArray();
            for (int i = 0; i < expected.length; i++) {
                // singular values are perturbed by at most ||dW||_2 (Weyl); float32 rounding of W
                // and the algorithm give ||dW|| ~ 1e-6 · s_0, so 1e-5 · s_0 is safe
                assertEquals(expected[i], s[i], 1e-5 * expected[0], "s[" + i + "]");
                if (i > 0) {
                    assertTrue(s[i] <= s[i - 1], "descending at " + i);
                }
            }
        }
    }

    @Test
    void rankDeficientMatrixHasZeroTrailingSingularValuesAndStillReconstructs() {
        int rank = 5;
        NDArray w = TestMatrices.matrix(manager, TestMatrices.lowRank(11, 64, 48, rank), 64, 48);
        try (SvdResult svd = Svd.full().decompose(w, manager)) {
            float[] s = svd.s().toFloatArray();
            // the exact trailing values are 0; float32 leaves ~1e-6 · s_0
            for (int i = rank; i < s.length; i++) {
                assertTrue(s[i] <= 1e-5f * s[0], "s[" + i + "] = " + s[i]);
            }
            assertTrue(s[rank - 1] > 1e-2f * s[0], "the rank-5 part is well above round-off");
            assertTrue(svd.reconstructionError(w) <= FLOAT32_TOLERANCE);
            assertTrue(svd.orthogonalityError() <= FLOAT32_TOLERANCE);
        }
    }

    @Test
    void leavesTheInputUnchanged() {
        float[] entries = TestMatrices.gaussian(5, 20, 12);
        NDArray w = TestMatrices.matrix(manager, entries, 20, 12);
        Svd.full().decompose(w, manager).close();
        assertArrayEquals(entries, w.toFloatArray(), 0f);
    }

    @Test
    void attachesResultsToTheGivenManagerOnTheInputsDevice() {
        NDArray w = TestMatrices.matrix(manager, TestMatrices.gaussian(5, 20, 12), 20, 12);
        try (NDManager out = manager.newSubManager();
                SvdResult svd = Svd.full().decompose(w, out)) {
            assertSame(out, svd.u().getManager());
            assertSame(out, svd.s().getManager());
            assertSame(out, svd.vt().getManager());
            assertEquals(w.getDevice(), svd.u().getDevice());
        }
    }
}

package org.peft4j.lora.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TruncatedSvdTest {

    private NDManager manager;

    @BeforeEach
    void openManager() {
        manager = NDManager.newBaseManager(Device.cpu());
    }

    @AfterEach
    void closeManager() {
        manager.close();
    }

    @ParameterizedTest(name = "[{0}, {1}] k={2}")
    @CsvSource({"96, 64, 8", "64, 96, 8", "96, 64, 64"})
    void topKSingularValuesEqualTheLeadingValuesOfTheFullSvd(int m, int n, int k) {
        NDArray w = TestMatrices.matrix(manager, TestMatrices.gaussian(21, m, n), m, n);
        try (SvdResult full = Svd.full().decompose(w, manager);
                SvdResult top = Svd.truncated(k).decompose(w, manager)) {
            assertEquals(new Shape(m, k), top.u().getShape());
            assertEquals(new Shape(k), top.s().getShape());
            assertEquals(new Shape(k, n), top.vt().getShape());
            float[] expected = full.s().toFloatArray();
            float[] actual = top.s().toFloatArray();
            for (int i = 0; i < k; i++) {
                // two different LAPACK algorithms (divide and conquer vs bisection + inverse
                // iteration) on the same float32 data agree to a few ulps of s_0: 1e-5 relative
                assertEquals(expected[i], actual[i], 1e-5f * expected[0], "s[" + i + "]");
            }
            // orthonormal to float32 round-off (see FullSvdTest)
            assertTrue(top.orthogonalityError() <= 1e-5f, "orthogonality error");
        }
    }

    @ParameterizedTest(name = "[{0}, {1}] k={2}")
    @CsvSource({"96, 64, 8", "64, 96, 12"})
    void reconstructionErrorEqualsTheDiscardedSpectrum(int m, int n, int k) {
        double[] spectrum = TestMatrices.geometric(5, 0.9, Math.min(m, n));
        NDArray w =
                TestMatrices.matrix(
                        manager, TestMatrices.withSingularValues(4, m, n, spectrum), m, n);
        // Eckart–Young: the best rank-k error is sqrt(sum of the discarded s_i²) / ||W||_F
        double expected = TestMatrices.tailRatio(spectrum, k);
        try (SvdResult top = Svd.truncated(k).decompose(w, manager)) {
            // the residual (~0.4 of ||W||) is computed in float32 from O(1) entries, so it carries
            // ~1e-6 absolute error; 1e-5 relative to the expected value is a 4x margin
            assertEquals(expected, top.reconstructionError(w), 1e-5 * expected);
        }
    }

    @Test
    void rejectsRankAboveMinDimensionNamingTheShape() {
        NDArray w = TestMatrices.matrix(manager, TestMatrices.gaussian(1, 12, 8), 12, 8);
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class, () -> Svd.truncated(9).decompose(w, manager));
        assertTrue(e.getMessage().contains("[12, 8]"), e.getMessage());
        assertTrue(e.getMessage().contains("min(m, n) = 8"), e.getMessage());
    }

    @Test
    void rejectsNonPositiveRank() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Svd.truncated(0));
        assertTrue(e.getMessage().contains("k = 0"), e.getMessage());
    }
}

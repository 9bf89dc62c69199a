package org.peft4j.lora.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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

class RandomizedSvdTest {

    private static final int K = 10;
    private static final int OVERSAMPLING = 10;
    private static final int NITER = 4;

    private NDManager manager;

    @BeforeEach
    void openManager() {
        manager = NDManager.newBaseManager(Device.cpu());
    }

    @AfterEach
    void closeManager() {
        manager.close();
    }

    /** {@code s_i = 10 · 0.9^i}: decaying, but slowly enough that the sketch alone is not exact. */
    private static double[] spectrum(int m, int n) {
        return TestMatrices.geometric(10, 0.9, Math.min(m, n));
    }

    @ParameterizedTest(name = "[{0}, {1}]")
    @CsvSource({"300, 200", "200, 300"})
    void recoversTheTopSingularValuesOfADecayingSpectrum(int m, int n) {
        double[] s = spectrum(m, n);
        NDArray w = TestMatrices.matrix(manager, TestMatrices.withSingularValues(8, m, n, s), m, n);
        try (SvdResult svd = Svd.randomized(K, OVERSAMPLING, NITER, 42L).decompose(w, manager)) {
            assertEquals(new Shape(m, K), svd.u().getShape());
            assertEquals(new Shape(K), svd.s().getShape());
            assertEquals(new Shape(K, n), svd.vt().getShape());
            float[] actual = svd.s().toFloatArray();
            for (int i = 0; i < K; i++) {
                // Halko et al. (2011) Thm. 9.1 / Cor. 10.10: the subspace error shrinks like
                // (s_{k+p+1} / s_k)^(2q+1) = 0.9^(10·9) ≈ 8e-5 here; 1e-3 relative per value
                // leaves room for the constant factors of the bound
                assertEquals(s[i], actual[i], 1e-3 * s[i], "s[" + i + "]");
            }
        }
    }

    @ParameterizedTest(name = "[{0}, {1}]")
    @CsvSource({"300, 200", "200, 300"})
    void errorIsWithinOnePercentOfTheBestRankKError(int m, int n) {
        double[] s = spectrum(m, n);
        NDArray w = TestMatrices.matrix(manager, TestMatrices.withSingularValues(9, m, n, s), m, n);
        double best = TestMatrices.tailRatio(s, K); // Eckart–Young optimum, about 0.35 here
        try (SvdResult svd = Svd.randomized(K, OVERSAMPLING, NITER, 7L).decompose(w, manager)) {
            float error = svd.reconstructionError(w);
            // no rank-k approximation beats Eckart–Young (minus float32 noise, 1e-5 relative);
            // with four power iterations the randomized one is within 1% of it
            assertTrue(error >= best * (1 - 1e-5), "error " + error + " below the optimum " + best);
            assertTrue(error <= best * 1.01, "error " + error + " vs optimum " + best);
            // U = Q·Ub with orthonormal Q and Ub, Vt from an exact SVD: float32 round-off only
            assertTrue(svd.orthogonalityError() <= 1e-5f, "orthogonality error");
        }
    }

    @Test
    void sameSeedGivesIdenticalFactors() {
        NDArray w = TestMatrices.matrix(manager, TestMatrices.gaussian(2, 120, 80), 120, 80);
        Svd svd = Svd.randomized(6, 5, 2, 99L);
        try (SvdResult first = svd.decompose(w, manager);
                SvdResult second = svd.decompose(w, manager)) {
            assertArrayEquals(first.u().toFloatArray(), second.u().toFloatArray(), 0f);
            assertArrayEquals(first.s().toFloatArray(), second.s().toFloatArray(), 0f);
            assertArrayEquals(first.vt().toFloatArray(), second.vt().toFloatArray(), 0f);
        }
    }

    @Test
    void fullRankRequestWithOversamplingCappedIsExact() {
        // k = min(m, n): the sketch is capped at min(m, n) columns and spans everything, so the
        // result is an exact SVD up to float32 round-off (1e-5, as in FullSvdTest)
        NDArray w = TestMatrices.matrix(manager, TestMatrices.gaussian(6, 40, 24), 40, 24);
        try (SvdResult svd = Svd.randomized(24, 10, 1, 1L).decompose(w, manager)) {
            assertEquals(new Shape(24), svd.s().getShape());
            assertTrue(svd.reconstructionError(w) <= 1e-5f, "reconstruction error");
        }
    }

    @Test
    void rankDeficientMatrixIsRecoveredExactly() {
        // rank 4 < k + oversampling: Householder QR keeps the sketch orthonormal although its
        // columns are linearly dependent, and the rank-4 matrix is reproduced to round-off
        NDArray w = TestMatrices.matrix(manager, TestMatrices.lowRank(12, 90, 70, 4), 90, 70);
        try (SvdResult svd = Svd.randomized(6, 10, 2, 3L).decompose(w, manager)) {
            assertTrue(svd.reconstructionError(w) <= 1e-5f, "reconstruction error");
            assertTrue(svd.orthogonalityError() <= 1e-5f, "orthogonality error");
        }
    }

    @Test
    void rejectsNegativeOversamplingAndIterations() {
        IllegalArgumentException p =
                assertThrows(IllegalArgumentException.class, () -> Svd.randomized(4, -1, 2, 0L));
        assertTrue(p.getMessage().contains("oversampling = -1"), p.getMessage());
        IllegalArgumentException q =
                assertThrows(IllegalArgumentException.class, () -> Svd.randomized(4, 10, -1, 0L));
        assertTrue(q.getMessage().contains("niter = -1"), q.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Svd.randomized(0, 10, 2, 0L));
    }

    @Test
    void rejectsRankAboveMinDimensionNamingTheShape() {
        NDArray w = TestMatrices.matrix(manager, TestMatrices.gaussian(1, 10, 30), 10, 30);
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Svd.randomized(11, 5, 2, 0L).decompose(w, manager));
        assertTrue(e.getMessage().contains("[10, 30]"), e.getMessage());
    }
}

package org.peft4j.lora.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.Arrays;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LuTest {

    /**
     * Gaussian elimination with partial pivoting is backward stable with growth factor ~ sqrt(n)
     * in practice for random matrices: ||PLU - W|| / ||W|| ~ n · eps ≈ 1e-6 for n ≤ 96.
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

    @Test
    void twoByTwoPivotsOnTheLargerLeadingEntry() {
        // by hand: |3| > |1| so rows swap; l21 = 1/3, u22 = 2 - (1/3)·4 = 2/3
        NDArray w = TestMatrices.matrix(manager, new float[] {1, 2, 3, 4}, 2, 2);
        try (LuResult lu = Lu.of(w, manager)) {
            assertArrayEquals(new int[] {1, 0}, lu.pivots());
            assertArrayEquals(new float[] {1, 0, 1f / 3, 1}, lu.l().toFloatArray(), 1e-7f);
            assertArrayEquals(new float[] {3, 4, 0, 2f / 3}, lu.u().toFloatArray(), 1e-7f);
            assertArrayEquals(new float[] {0, 1, 1, 0}, lu.permutationMatrix(manager).toFloatArray());
        }
    }

    @ParameterizedTest(name = "[{0}, {1}]")
    @CsvSource({"64, 64", "96, 64", "64, 96"})
    void factorsHaveTheirShapesAndReconstructTheMatrix(int m, int n) {
        float[] entries = TestMatrices.gaussian(31, m, n);
        NDArray w = TestMatrices.matrix(manager, entries, m, n);
        int c = Math.min(m, n);
        try (LuResult lu = Lu.of(w, manager)) {
            assertEquals(new Shape(m, c), lu.l().getShape());
            assertEquals(new Shape(c, n), lu.u().getShape());
            assertTrue(lu.reconstructionError(w) <= FLOAT32_TOLERANCE, "reconstruction error");

            float[] l = lu.l().toFloatArray();
            float[] u = lu.u().toFloatArray();
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < c; j++) {
                    float lij = TestMatrices.at(l, c, i, j);
                    if (j > i) {
                        assertEquals(0f, lij, "L strictly upper part at " + i + "," + j);
                    } else if (j == i) {
                        assertEquals(1f, lij, "L diagonal at " + i);
                    } else {
                        // partial pivoting picks the largest |entry| of each column as pivot
                        assertTrue(Math.abs(lij) <= 1f, "|L| <= 1 at " + i + "," + j);
                    }
                }
            }
            for (int i = 0; i < c; i++) {
                for (int j = 0; j < i; j++) {
                    assertEquals(0f, TestMatrices.at(u, n, i, j), "U strictly lower part");
                }
            }
        }
    }

    @Test
    void pivotsAreAPermutationNamingTheSourceRowOfEachRowOfLU() {
        int m = 40;
        int n = 30;
        float[] entries = TestMatrices.gaussian(32, m, n);
        NDArray w = TestMatrices.matrix(manager, entries, m, n);
        try (LuResult lu = Lu.of(w, manager);
                NDArray product = lu.l().matMul(lu.u())) {
            int[] pivots = lu.pivots();
            int[] sorted = pivots.clone();
            Arrays.sort(sorted);
            for (int i = 0; i < m; i++) {
                assertEquals(i, sorted[i], "each row exactly once");
            }
            float[] lu2 = product.toFloatArray();
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    // documented convention: (L·U)[i, :] = W[pivots[i], :]; entries are O(1)
                    // sums of ≤ 30 float32 products: 1e-5 absolute
                    assertEquals(
                            TestMatrices.at(entries, n, pivots[i], j),
                            TestMatrices.at(lu2, n, i, j),
                            1e-5f,
                            "row " + i + " col " + j);
                }
            }
        }
    }

    @Test
    void rankDeficientMatrixStillFactorsAndRevealsASmallPivot() {
        int rank = 5;
        NDArray w = TestMatrices.matrix(manager, TestMatrices.lowRank(33, 48, 48, rank), 48, 48);
        try (LuResult lu = Lu.of(w, manager)) {
            assertTrue(lu.reconstructionError(w) <= FLOAT32_TOLERANCE, "reconstruction error");
            float[] u = lu.u().toFloatArray();
            float first = Math.abs(TestMatrices.at(u, 48, 0, 0));
            // after 5 elimination steps the Schur complement of a rank-5 matrix is 0 in exact
            // arithmetic; in float32 it is round-off, ~1e-6 of the first pivot
            float sixth = Math.abs(TestMatrices.at(u, 48, rank, rank));
            assertTrue(sixth <= 1e-4f * first, "pivot " + rank + " = " + sixth);
        }
    }

    @Test
    void exactlySingularMatrixGivesAZeroPivotAndStillReconstructs() {
        // second row = 2 × first: pivot on 2, then 4 - 2·2 = 0 exactly
        NDArray w = TestMatrices.matrix(manager, new float[] {1, 2, 2, 4}, 2, 2);
        try (LuResult lu = Lu.of(w, manager)) {
            assertArrayEquals(new int[] {1, 0}, lu.pivots());
            assertArrayEquals(new float[] {2, 4, 0, 0}, lu.u().toFloatArray(), 0f);
            assertEquals(0f, lu.reconstructionError(w), 1e-7f);
        }
    }
}

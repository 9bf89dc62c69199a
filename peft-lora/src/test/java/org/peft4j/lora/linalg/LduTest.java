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

class LduTest {

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
    void twoByTwoSplitsThePivotsOutOfU() {
        // by hand from the LU [[3, 4], [0, 2/3]]: D = (3, 2/3), U = [[1, 4/3], [0, 1]]
        NDArray w = TestMatrices.matrix(manager, new float[] {1, 2, 3, 4}, 2, 2);
        try (LduResult ldu = Lu.ldu(w, manager)) {
            assertArrayEquals(new int[] {1, 0}, ldu.pivots());
            assertArrayEquals(new float[] {1, 0, 1f / 3, 1}, ldu.l().toFloatArray(), 1e-7f);
            assertArrayEquals(new float[] {3, 2f / 3}, ldu.d().toFloatArray(), 1e-7f);
            assertArrayEquals(new float[] {1, 4f / 3, 0, 1}, ldu.u().toFloatArray(), 1e-7f);
        }
    }

    @ParameterizedTest(name = "[{0}, {1}]")
    @CsvSource({"64, 64", "96, 64", "64, 96"})
    void unitTriangularFactorsAndDiagonalReconstructTheMatrix(int m, int n) {
        NDArray w = TestMatrices.matrix(manager, TestMatrices.gaussian(41, m, n), m, n);
        int c = Math.min(m, n);
        try (LduResult ldu = Lu.ldu(w, manager);
                LuResult lu = Lu.of(w, manager)) {
            assertEquals(new Shape(m, c), ldu.l().getShape());
            assertEquals(new Shape(c), ldu.d().getShape());
            assertEquals(new Shape(c, n), ldu.u().getShape());
            // same elimination as LU (1e-5: see LuTest)
            assertTrue(ldu.reconstructionError(w) <= 1e-5f, "reconstruction error");
            assertArrayEquals(lu.pivots(), ldu.pivots());

            float[] u = ldu.u().toFloatArray();
            float[] luU = lu.u().toFloatArray();
            float[] d = ldu.d().toFloatArray();
            for (int i = 0; i < c; i++) {
                assertEquals(1f, TestMatrices.at(u, n, i, i), "unit diagonal is exact at " + i);
                assertEquals(TestMatrices.at(luU, n, i, i), d[i], "D = diag(U_lu) at " + i);
                for (int j = 0; j < i; j++) {
                    // exactly zero; 0 / d is -0.0 for a negative pivot, which delta 0 accepts
                    assertEquals(0f, TestMatrices.at(u, n, i, j), 0f, "U strictly lower part");
                }
            }
        }
    }

    /** {@code [8, 6]}: four Gaussian columns, then two exactly zero columns; rank 4. */
    private NDArray zeroTrailingColumns() {
        float[] g = TestMatrices.gaussian(17, 8, 4);
        float[] w = new float[8 * 6];
        for (int i = 0; i < 8; i++) {
            System.arraycopy(g, i * 4, w, i * 6, 4);
        }
        return TestMatrices.matrix(manager, w, 8, 6);
    }

    @Test
    void leadingPivotsBeforeTheFirstZeroPivotFormAnLduOfTheSameElimination() {
        NDArray w = zeroTrailingColumns();
        // elimination never touches a zero column, so pivots 4 and 5 are exactly zero and the first
        // four are those of the full LU
        try (LduResult ldu = Lu.ldu(w, 4, manager);
                LuResult lu = Lu.of(w, manager)) {
            assertEquals(new Shape(8, 4), ldu.l().getShape());
            assertEquals(new Shape(4), ldu.d().getShape());
            assertEquals(new Shape(4, 6), ldu.u().getShape());
            assertArrayEquals(lu.pivots(), ldu.pivots());
            float[] luU = lu.u().toFloatArray();
            float[] d = ldu.d().toFloatArray();
            for (int i = 0; i < 4; i++) {
                assertEquals(TestMatrices.at(luU, 6, i, i), d[i], "D = diag(U_lu) at " + i);
                assertEquals(1f, TestMatrices.at(ldu.u().toFloatArray(), 6, i, i), "unit diagonal at " + i);
            }
            assertEquals(0f, TestMatrices.at(luU, 6, 4, 4), 0f, "pivot 4 is exactly zero");
            // rank 4: the Schur complement after four steps is exactly zero, so the four leading
            // pivots rebuild W (1e-5 relative, as for the full LDU above)
            assertTrue(ldu.reconstructionError(w) <= 1e-5f, "reconstruction error");
        }
    }

    @Test
    void aZeroPivotAmongTheLeadingPivotsIsAnErrorNamingIt() {
        NDArray w = zeroTrailingColumns();
        ArithmeticException e = assertThrows(ArithmeticException.class, () -> Lu.ldu(w, 5, manager));
        assertTrue(e.getMessage().contains("[8, 6]"), e.getMessage());
        assertTrue(e.getMessage().contains("pivot 4"), e.getMessage());
        assertTrue(e.getMessage().contains("first 5"), e.getMessage());
    }

    @Test
    void leadingPivotCountOutsideOneToMinDimensionIsRefused() {
        NDArray w = zeroTrailingColumns();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Lu.ldu(w, 7, manager));
        assertTrue(e.getMessage().contains("k = 7") && e.getMessage().contains("min(m, n) = 6"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Lu.ldu(w, 0, manager));
    }

    @Test
    void singularMatrixHasNoLduFormAndTheErrorNamesThePivot() {
        NDArray w = TestMatrices.matrix(manager, new float[] {1, 2, 2, 4}, 2, 2);
        ArithmeticException e = assertThrows(ArithmeticException.class, () -> Lu.ldu(w, manager));
        assertTrue(e.getMessage().contains("[2, 2]"), e.getMessage());
        assertTrue(e.getMessage().contains("pivot 1"), e.getMessage());
    }
}

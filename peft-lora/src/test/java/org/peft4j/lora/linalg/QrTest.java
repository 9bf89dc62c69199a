package org.peft4j.lora.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

class QrTest {

    /** Householder QR is backward stable: errors ~ n · eps ≈ 1e-6 for these sizes. */
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
    @CsvSource({"96, 64", "64, 96", "50, 50"})
    void orthonormalQTimesUpperRReconstructsTheMatrix(int m, int n) {
        NDArray w = TestMatrices.matrix(manager, TestMatrices.gaussian(51, m, n), m, n);
        int c = Math.min(m, n);
        try (QrResult qr = Qr.of(w, manager)) {
            assertEquals(new Shape(m, c), qr.q().getShape());
            assertEquals(new Shape(c, n), qr.r().getShape());
            assertTrue(qr.reconstructionError(w) <= FLOAT32_TOLERANCE, "reconstruction error");
            assertTrue(qr.orthogonalityError() <= FLOAT32_TOLERANCE, "orthogonality error");
            float[] r = qr.r().toFloatArray();
            for (int i = 0; i < c; i++) {
                for (int j = 0; j < i; j++) {
                    assertEquals(0f, TestMatrices.at(r, n, i, j), "R strictly lower part");
                }
            }
        }
    }

    @Test
    void firstDiagonalEntryOfRHasTheFirstColumnsNorm() {
        // W[:,0] = Q[:,0] · R[0,0] with a unit vector Q[:,0], so |R[0,0]| = ||W[:,0]||
        int m = 30;
        int n = 10;
        float[] entries = TestMatrices.gaussian(52, m, n);
        double norm = 0;
        for (int i = 0; i < m; i++) {
            norm += TestMatrices.at(entries, n, i, 0) * TestMatrices.at(entries, n, i, 0);
        }
        norm = Math.sqrt(norm);
        NDArray w = TestMatrices.matrix(manager, entries, m, n);
        try (QrResult qr = Qr.of(w, manager)) {
            // one float32 norm of 30 entries: 1e-6 relative
            assertEquals(norm, Math.abs(qr.r().toFloatArray()[0]), 1e-6 * norm);
        }
    }

    @Test
    void rankDeficientMatrixStillGivesOrthonormalQ() {
        NDArray w = TestMatrices.matrix(manager, TestMatrices.lowRank(53, 60, 40, 3), 60, 40);
        try (QrResult qr = Qr.of(w, manager)) {
            assertTrue(qr.reconstructionError(w) <= FLOAT32_TOLERANCE, "reconstruction error");
            assertTrue(qr.orthogonalityError() <= FLOAT32_TOLERANCE, "orthogonality error");
        }
    }
}

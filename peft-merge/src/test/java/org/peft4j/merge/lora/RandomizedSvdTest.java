package org.peft4j.merge.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.peft4j.merge.SeededTensors;

// A matrix with known singular values is built as H1 diag(s) H2 from two Householder reflections
// (orthogonal), so the exact SVD is known without any decomposition.
class RandomizedSvdTest {

    private static final double[] SINGULAR = {4.0, 2.0, 1.0, 0.5, 0.25};
    private static final int M = 9;
    private static final int N = 7;
    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static double[][] householder(int n, long seed) {
        float[] v = SeededTensors.gaussian(seed, 1.0, n);
        double norm2 = 0;
        for (float x : v) {
            norm2 += x * x;
        }
        double[][] h = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                h[i][j] = (i == j ? 1.0 : 0.0) - 2.0 * v[i] * v[j] / norm2;
            }
        }
        return h;
    }

    private static NDArray knownMatrix() {
        double[][] u = householder(M, 1);
        double[][] v = householder(N, 2);
        float[] m = new float[M * N];
        for (int i = 0; i < M; i++) {
            for (int j = 0; j < N; j++) {
                double s = 0;
                for (int k = 0; k < SINGULAR.length; k++) {
                    s += u[i][k] * SINGULAR[k] * v[j][k];
                }
                m[i * N + j] = (float) s;
            }
        }
        return manager.create(m, new Shape(M, N));
    }

    @Test
    void recoversKnownSingularValues() {
        TruncatedSvd svd = RandomizedSvd.defaults().factorize(knownMatrix(), 5);
        float[] expected = new float[SINGULAR.length];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = (float) SINGULAR[i];
        }
        // input rounded to float32 (~1e-7 relative), work in float64: 1e-5
        assertArrayEquals(expected, svd.s().toFloatArray(), 1e-5f);
    }

    @Test
    void truncationErrorIsTheEckartYoungOptimum() {
        NDArray m = knownMatrix();
        TruncatedSvd svd = RandomizedSvd.defaults().factorize(m, 2);
        NDArray approx = svd.u().mul(svd.s().reshape(1, 2)).matMul(svd.vh());
        double err = Math.sqrt(m.sub(approx).square().sum().getFloat());
        // best rank-2 error = sqrt(1^2 + 0.5^2 + 0.25^2); matrix rank 5 <= k, so the sketch is exact
        assertEquals(Math.sqrt(1.0 + 0.25 + 0.0625), err, 1e-5);
    }

    @Test
    void factorsHaveOrthonormalColumnsAndRows() {
        TruncatedSvd svd = RandomizedSvd.defaults().factorize(knownMatrix(), 3);
        float[] utu = svd.u().transpose().matMul(svd.u()).toFloatArray();
        float[] vvt = svd.vh().matMul(svd.vh().transpose()).toFloatArray();
        float[] eye = {1, 0, 0, 0, 1, 0, 0, 0, 1};
        assertArrayEquals(eye, utu, 1e-5f);
        assertArrayEquals(eye, vvt, 1e-5f);
    }

    @Test
    void zeroMatrixGivesZeroFactors() {
        TruncatedSvd svd = RandomizedSvd.defaults().factorize(manager.zeros(new Shape(5, 4)), 2);
        assertArrayEquals(new float[2], svd.s().toFloatArray(), 0f);
    }

    @Test
    void jacobiEigenOfASmallSymmetricMatrix() {
        SymmetricEigen e = SymmetricEigen.of(new double[][] {{2, 1}, {1, 2}});
        // eigenvalues 3 and 1, eigenvectors (1,1)/sqrt2 and (1,-1)/sqrt2
        assertArrayEquals(new double[] {3, 1}, e.values(), 1e-12);
        assertEquals(1.0 / Math.sqrt(2), Math.abs(e.vectors()[0][0]), 1e-12);
        assertEquals(e.vectors()[0][0], e.vectors()[1][0], 1e-12);
    }
}

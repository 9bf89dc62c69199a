package org.peft4j.lora.eva;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.peft4j.lora.linalg.Svd;
import org.peft4j.lora.linalg.SvdResult;

/** Independent references for the EVA tests: exact PCA of centred rows, and row similarity. */
final class PcaChecks {

    private PcaChecks() {}

    /** The rows of {@code x} ({@code [rows, n]}) minus their column means, in double precision. */
    static double[][] centred(float[] x, int rows, int n) {
        double[] mean = new double[n];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < n; j++) {
                mean[j] += x[i * n + j] / (double) rows;
            }
        }
        double[][] c = new double[rows][n];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < n; j++) {
                c[i][j] = x[i * n + j] - mean[j];
            }
        }
        return c;
    }

    /** The exact SVD of the centred rows: principal directions are the rows of {@code vt}. */
    static SvdResult exactPca(NDManager manager, float[] x, int rows, int n) {
        double[][] c = centred(x, rows, n);
        float[] flat = new float[rows * n];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < n; j++) {
                flat[i * n + j] = (float) c[i][j];
            }
        }
        return Svd.full().decompose(manager.create(flat, new Shape(rows, n)), manager);
    }

    /** {@code |cos|} between row {@code ia} of {@code a} and row {@code ib} of {@code b}, rows of width {@code n}. */
    static double absCos(float[] a, int ia, float[] b, int ib, int n) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int j = 0; j < n; j++) {
            dot += (double) a[ia * n + j] * b[ib * n + j];
            na += (double) a[ia * n + j] * a[ia * n + j];
            nb += (double) b[ib * n + j] * b[ib * n + j];
        }
        return Math.abs(dot) / Math.sqrt(na * nb);
    }
}

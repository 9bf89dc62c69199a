package org.peft4j.merge.lora;

/**
 * Eigen-decomposition of a small dense symmetric matrix by the cyclic Jacobi method, in double
 * precision ({@code A = V diag(values) V^T}). Used on the {@code k x k} Gram matrices of the
 * randomized SVD, where {@code k} is the target rank plus oversampling; cost {@code O(k^3)} per
 * sweep, a few sweeps.
 *
 * @param values eigenvalues, descending
 * @param vectors eigenvectors as columns, {@code vectors[row][col]}, column {@code j} belongs to
 *     {@code values[j]}
 */
public record SymmetricEigen(double[] values, double[][] vectors) {

    private static final int MAX_SWEEPS = 100;

    /**
     * Decomposes a symmetric matrix (only the values are read; the input is not modified).
     *
     * @param matrix {@code n x n}, symmetric
     * @return eigenvalues descending and matching eigenvectors
     */
    public static SymmetricEigen of(double[][] matrix) {
        int n = matrix.length;
        double[][] a = new double[n][];
        for (int i = 0; i < n; i++) {
            if (matrix[i].length != n) {
                throw new IllegalArgumentException("matrix must be square, row " + i + " has " + matrix[i].length + " entries, expected " + n);
            }
            a[i] = matrix[i].clone();
        }
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) {
            v[i][i] = 1.0;
        }
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            double off = 0;
            double total = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double x = a[i][j] * a[i][j];
                    total += x;
                    if (i != j) {
                        off += x;
                    }
                }
            }
            if (off <= 1e-30 * total || off == 0.0) {
                break;
            }
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    if (a[p][q] == 0.0) {
                        continue;
                    }
                    rotate(a, v, p, q);
                }
            }
        }
        return sorted(a, v);
    }

    // One Jacobi rotation zeroing a[p][q] (Golub and Van Loan, Matrix Computations, 8.5.2).
    private static void rotate(double[][] a, double[][] v, int p, int q) {
        int n = a.length;
        double theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
        double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1.0));
        if (theta == 0.0) {
            t = 1.0;
        }
        double c = 1.0 / Math.sqrt(t * t + 1.0);
        double s = t * c;
        for (int k = 0; k < n; k++) {
            double akp = a[k][p];
            double akq = a[k][q];
            a[k][p] = c * akp - s * akq;
            a[k][q] = s * akp + c * akq;
        }
        for (int k = 0; k < n; k++) {
            double apk = a[p][k];
            double aqk = a[q][k];
            a[p][k] = c * apk - s * aqk;
            a[q][k] = s * apk + c * aqk;
        }
        for (int k = 0; k < n; k++) {
            double vkp = v[k][p];
            double vkq = v[k][q];
            v[k][p] = c * vkp - s * vkq;
            v[k][q] = s * vkp + c * vkq;
        }
    }

    private static SymmetricEigen sorted(double[][] a, double[][] v) {
        int n = a.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (x, y) -> Double.compare(a[y][y], a[x][x]));
        double[] values = new double[n];
        double[][] vectors = new double[n][n];
        for (int j = 0; j < n; j++) {
            values[j] = a[order[j]][order[j]];
            for (int i = 0; i < n; i++) {
                vectors[i][j] = v[i][order[j]];
            }
        }
        return new SymmetricEigen(values, vectors);
    }
}

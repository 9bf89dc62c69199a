package org.peft4j.lora.linalg;

import static org.bytedeco.openblas.global.openblas.LAPACKE_sgeqrf;
import static org.bytedeco.openblas.global.openblas.LAPACKE_sorgqr;
import static org.bytedeco.openblas.global.openblas.LAPACK_ROW_MAJOR;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.nio.FloatBuffer;

/**
 * Economy QR decomposition by Householder reflections: LAPACK's {@code sgeqrf}, then
 * {@code sorgqr} to form {@code Q} explicitly. Runs on the CPU; a GPU input is copied to the host
 * and the factors back. Householder QR gives orthonormal {@code Q} columns even for a
 * rank-deficient {@code W}.
 */
public final class Qr {

    private Qr() {}

    /**
     * Decomposes {@code w = Q · R}.
     *
     * @param w a finite float32 matrix {@code [m, n]}, any device; not modified
     * @param out the manager the result arrays are attached to
     * @return {@code q [m, min(m, n)]} with orthonormal columns and {@code r [min(m, n), n]} upper
     *     triangular, float32 on {@code w}'s device
     * @throws IllegalArgumentException if {@code w} is not a finite 2-D float32 matrix
     */
    public static QrResult of(NDArray w, NDManager out) {
        int[] mn = MatrixArgument.requireMatrix(w, out, "QR");
        int m = mn[0];
        int n = mn[1];
        int c = Math.min(m, n);
        HostMatrix a = HostMatrix.copyOf(w);
        HostMatrix[] qr =
                LapackThread.call(
                        () -> {
                            FloatBuffer tau = reflect(a);
                            HostMatrix r = HostMatrix.allocate(c, n);
                            for (int i = 0; i < c; i++) {
                                a.copyRowSpan(i, i, n, r, i, i);
                            }
                            return new HostMatrix[] {formQ(a, tau), r};
                        });
        NDArray q = qr[0].toNDArray(out, w.getDevice());
        NDArray r = qr[1].toNDArray(out, w.getDevice());
        return new QrResult(q, r);
    }

    /**
     * The orthonormal factor {@code Q [m, min(m, n)]} of a host matrix, whose columns span the
     * columns of {@code a} (when {@code a} has full column rank); {@code a} is overwritten.
     */
    static HostMatrix orthonormalBasis(HostMatrix a) {
        return LapackThread.call(() -> formQ(a, reflect(a)));
    }

    /** {@code sgeqrf}: Householder vectors below the diagonal of {@code a}, R on and above it. */
    private static FloatBuffer reflect(HostMatrix a) {
        int m = a.rows();
        int n = a.cols();
        FloatBuffer tau = HostMatrix.allocate(1, Math.min(m, n)).floats();
        int info = LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, m, n, a.floats(), n, tau);
        LapackStatus.check("sgeqrf", info, "[" + m + ", " + n + "] matrix", "unexpected failure");
        return tau;
    }

    /** {@code sorgqr}: the first {@code min(m, n)} columns of Q from the reflectors in {@code a}. */
    private static HostMatrix formQ(HostMatrix a, FloatBuffer tau) {
        int m = a.rows();
        int n = a.cols();
        int c = Math.min(m, n);
        int info = LAPACKE_sorgqr(LAPACK_ROW_MAJOR, m, c, c, a.floats(), n, tau);
        LapackStatus.check("sorgqr", info, "[" + m + ", " + n + "] matrix", "unexpected failure");
        return a.topLeft(m, c);
    }
}

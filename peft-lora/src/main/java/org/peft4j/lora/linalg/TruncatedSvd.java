package org.peft4j.lora.linalg;

import static org.bytedeco.openblas.global.openblas.LAPACKE_sgesvdx;
import static org.bytedeco.openblas.global.openblas.LAPACK_ROW_MAJOR;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.nio.IntBuffer;

/** The exact top-k SVD by LAPACK's {@code sgesvdx} with range 'I' (indices 1..k). */
final class TruncatedSvd implements Svd {

    /** {@code sgesvdx} returns failure details in an int array of {@code 12 * min(m, n)} entries. */
    private static final int SUPERB_PER_DIMENSION = 12;

    private final int k;

    TruncatedSvd(int k) {
        if (k < 1) {
            throw new IllegalArgumentException(
                    "Svd.truncated: rank k = " + k + " must be >= 1 (and <= min(m, n))");
        }
        this.k = k;
    }

    @Override
    public SvdResult decompose(NDArray w, NDManager out) {
        int[] mn = MatrixArgument.requireMatrix(w, out, "truncated SVD");
        int m = mn[0];
        int n = mn[1];
        MatrixArgument.requireRank(k, m, n, "truncated SVD");
        int c = Math.min(m, n);
        HostMatrix a = HostMatrix.copyOf(w);
        HostSvd host =
                LapackThread.call(
                        () -> {
                            HostMatrix s = HostMatrix.allocate(1, c);
                            HostMatrix u = HostMatrix.allocate(m, k);
                            HostMatrix vt = HostMatrix.allocate(k, n);
                            IntBuffer found = HostMatrix.intVector(1);
                            IntBuffer superb = HostMatrix.intVector(SUPERB_PER_DIMENSION * c);
                            int info =
                                    LAPACKE_sgesvdx(
                                            LAPACK_ROW_MAJOR, (byte) 'V', (byte) 'V', (byte) 'I',
                                            m, n, a.floats(), n, 0f, 0f, 1, k, found,
                                            s.floats(), u.floats(), k, vt.floats(), n, superb);
                            LapackStatus.check(
                                    "sgesvdx", info, "[" + m + ", " + n + "] matrix (k = " + k + ")",
                                    "the inverse iteration for some singular vectors did not converge");
                            if (found.get(0) != k) {
                                throw new ArithmeticException(
                                        "sgesvdx returned " + found.get(0) + " singular triplets for"
                                                + " the [" + m + ", " + n + "] matrix, asked for k = " + k);
                            }
                            return new HostSvd(u, s, vt);
                        });
        return host.leading(k, out, w.getDevice());
    }

    @Override
    public String toString() {
        return "Svd.truncated(" + k + ") [sgesvdx]";
    }
}

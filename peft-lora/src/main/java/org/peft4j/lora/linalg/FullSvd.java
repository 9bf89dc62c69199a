package org.peft4j.lora.linalg;

import static org.bytedeco.openblas.global.openblas.LAPACKE_sgesdd;
import static org.bytedeco.openblas.global.openblas.LAPACK_ROW_MAJOR;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/** The exact economy SVD by LAPACK's divide-and-conquer {@code sgesdd}. */
final class FullSvd implements Svd {

    static final FullSvd INSTANCE = new FullSvd();

    private FullSvd() {}

    @Override
    public SvdResult decompose(NDArray w, NDManager out) {
        int[] mn = MatrixArgument.requireMatrix(w, out, "SVD");
        HostSvd host = compute(HostMatrix.copyOf(w));
        return host.leading(Math.min(mn[0], mn[1]), out, w.getDevice());
    }

    /**
     * Economy SVD of a host matrix; {@code a} is overwritten. Returns {@code u [m, c]},
     * {@code s [1, c]}, {@code vt [c, n]} with {@code c = min(m, n)}.
     */
    static HostSvd compute(HostMatrix a) {
        int m = a.rows();
        int n = a.cols();
        int c = Math.min(m, n);
        return LapackThread.call(
                () -> {
                    HostMatrix s = HostMatrix.allocate(1, c);
                    HostMatrix u = HostMatrix.allocate(m, c);
                    HostMatrix vt = HostMatrix.allocate(c, n);
                    int info =
                            LAPACKE_sgesdd(
                                    LAPACK_ROW_MAJOR, (byte) 'S', m, n, a.floats(), n,
                                    s.floats(), u.floats(), c, vt.floats(), n);
                    LapackStatus.check(
                            "sgesdd", info, "[" + m + ", " + n + "] matrix",
                            "the bidiagonal divide-and-conquer step did not converge");
                    return new HostSvd(u, s, vt);
                });
    }

    @Override
    public String toString() {
        return "Svd.full() [sgesdd]";
    }
}

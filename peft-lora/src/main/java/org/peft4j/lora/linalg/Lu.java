package org.peft4j.lora.linalg;

import static org.bytedeco.openblas.global.openblas.LAPACKE_sgetrf;
import static org.bytedeco.openblas.global.openblas.LAPACK_ROW_MAJOR;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.nio.IntBuffer;

/**
 * LU and LDU decompositions with partial pivoting by LAPACK's {@code sgetrf}. Runs on the CPU, on
 * the package's large-stack LAPACK thread (OpenBLAS's {@code sgetrf} overflows a 1 MB stack); a GPU
 * input is copied to the host and the factors back.
 */
public final class Lu {

    private Lu() {}

    /**
     * Decomposes {@code w = P · L · U}. A singular {@code w} is fine: its {@code U} then has a zero
     * on the diagonal, and the factors still reproduce {@code w}.
     *
     * @param w a finite float32 matrix {@code [m, n]}, any device, either {@code m >= n} or
     *     {@code m < n}; not modified
     * @param out the manager the result arrays are attached to
     * @return pivots (length {@code m}), {@code l [m, min(m, n)]} unit lower,
     *     {@code u [min(m, n), n]} upper; float32 on {@code w}'s device
     * @throws IllegalArgumentException if {@code w} is not a finite 2-D float32 matrix
     */
    public static LuResult of(NDArray w, NDManager out) {
        int[] mn = MatrixArgument.requireMatrix(w, out, "LU");
        Factors f = factor(HostMatrix.copyOf(w), Math.min(mn[0], mn[1]));
        Device device = w.getDevice();
        return new LuResult(f.pivots, f.l.toNDArray(out, device), f.u.toNDArray(out, device));
    }

    /**
     * Decomposes {@code w = P · L · diag(D) · U} with unit-diagonal {@code L} and {@code U}: the LU
     * factorization of {@link #of} with {@code D = diag(U_lu)} and {@code U = diag(D)⁻¹ · U_lu}.
     *
     * @param w a finite float32 matrix {@code [m, n]}, any device; not modified
     * @param out the manager the result arrays are attached to
     * @return pivots (length {@code m}), {@code l [m, c]} unit lower, {@code d [c]},
     *     {@code u [c, n]} unit upper, with {@code c = min(m, n)}; float32 on {@code w}'s device
     * @throws IllegalArgumentException if {@code w} is not a finite 2-D float32 matrix
     * @throws ArithmeticException if {@code w} has rank below {@code min(m, n)} so that a pivot is
     *     exactly zero and {@code D⁻¹} does not exist
     */
    public static LduResult ldu(NDArray w, NDManager out) {
        int[] mn = MatrixArgument.requireMatrix(w, out, "LDU");
        return leadingLdu(w, mn, Math.min(mn[0], mn[1]), out);
    }

    /**
     * The first {@code k} pivots of {@code w}'s LDU decomposition: {@code L_k = L[:, :k]}, {@code
     * D_k = D[:k]}, {@code U_k = U[:k, :]} of {@code w = P · L · diag(D) · U}, from the same
     * elimination as {@link #ldu(NDArray, NDManager)}. Only these {@code k} pivots must be nonzero:
     * the first {@code k} elimination steps do not depend on later ones, so a matrix whose zero
     * pivots all come after the first {@code k} (for example {@code [X | 0]} with {@code k <= rank})
     * still has them. {@code P · L_k · diag(D_k) · U_k} is {@code w} minus the Schur complement
     * left after {@code k} steps (all of {@code w} when {@code k = min(m, n)}).
     *
     * @param w a finite float32 matrix {@code [m, n]}, any device; not modified
     * @param k the number of leading pivots, {@code 1 <= k <= min(m, n)}
     * @param out the manager the result arrays are attached to
     * @return pivots (the whole permutation, length {@code m}), {@code l [m, k]} unit lower,
     *     {@code d [k]} nonzero, {@code u [k, n]} unit upper; float32 on {@code w}'s device
     * @throws IllegalArgumentException if {@code w} is not a finite 2-D float32 matrix or {@code k}
     *     is outside {@code 1..min(m, n)}
     * @throws ArithmeticException naming the index of the first exactly zero pivot if it is below
     *     {@code k} ({@code D_k⁻¹} does not exist)
     */
    public static LduResult ldu(NDArray w, int k, NDManager out) {
        int[] mn = MatrixArgument.requireMatrix(w, out, "LDU");
        MatrixArgument.requireRank(k, mn[0], mn[1], "LDU");
        return leadingLdu(w, mn, k, out);
    }

    /** The LDU of the first {@code k} pivots of a checked {@code [mn[0], mn[1]]} matrix. */
    private static LduResult leadingLdu(NDArray w, int[] mn, int k, NDManager out) {
        Factors f = factor(HostMatrix.copyOf(w), k);
        // sgetrf reports the first exact zero pivot; the ones after it do not matter below k
        if (f.firstZeroPivot >= 0 && f.firstZeroPivot < k) {
            int c = Math.min(mn[0], mn[1]);
            String why = k == c
                    ? "so the matrix has rank below min(m, n) = " + c + " and has no LDU form"
                    : "and it is among the first " + k + " pivots requested, so their D⁻¹ does not exist";
            throw new ArithmeticException(
                    "LDU of the [" + mn[0] + ", " + mn[1] + "] matrix: pivot " + f.firstZeroPivot
                            + " (U[" + f.firstZeroPivot + ", " + f.firstZeroPivot + "]) is exactly zero, "
                            + why + "; Lu.of still factors it");
        }
        HostMatrix diagonal = HostMatrix.allocate(1, k);
        for (int i = 0; i < k; i++) {
            diagonal.set(0, i, f.u.get(i, i));
        }
        Device device = w.getDevice();
        NDArray d = diagonal.toNDArray(out, device, new Shape(k));
        NDArray unitUpper;
        try (NDArray upper = f.u.toNDArray(out, device);
                NDArray column = d.reshape(k, 1)) {
            // u_ij / u_ii: the diagonal becomes exactly 1 (x / x is exact in IEEE arithmetic)
            unitUpper = upper.div(column);
        }
        return new LduResult(f.pivots, f.l.toNDArray(out, device), d, unitUpper);
    }

    /**
     * {@code sgetrf} on the host, split into the first {@code k} columns of L ({@code [m, k]}) and
     * rows of U ({@code [k, n]}); {@code a} is overwritten.
     */
    private static Factors factor(HostMatrix a, int k) {
        int m = a.rows();
        int n = a.cols();
        int c = Math.min(m, n);
        return LapackThread.call(
                () -> {
                    IntBuffer ipiv = HostMatrix.intVector(c);
                    int info = LAPACKE_sgetrf(LAPACK_ROW_MAJOR, m, n, a.floats(), n, ipiv);
                    // info > 0 only reports an exact zero pivot U[info-1, info-1]: not a failure of LU
                    if (info < 0) {
                        LapackStatus.check("sgetrf", info, "[" + m + ", " + n + "] matrix", "");
                    }
                    // sgetrf packs L (strictly below the diagonal, unit diagonal implied) and U (on and
                    // above it) into a; unpack them with one bulk copy per row
                    HostMatrix l = HostMatrix.allocate(m, k);
                    HostMatrix u = HostMatrix.allocate(k, n);
                    for (int i = 0; i < m; i++) {
                        a.copyRowSpan(i, 0, Math.min(i, k), l, i, 0);
                        if (i < k) {
                            l.set(i, i, 1f);
                            a.copyRowSpan(i, i, n, u, i, i);
                        }
                    }
                    int[] pivots = RowPermutation.fromLapackPivots(ipiv, m);
                    return new Factors(pivots, l, u, info > 0 ? info - 1 : -1);
                });
    }

    /** Host-side LU factors; {@code firstZeroPivot} is -1 when every pivot is nonzero. */
    private record Factors(int[] pivots, HostMatrix l, HostMatrix u, int firstZeroPivot) {}
}

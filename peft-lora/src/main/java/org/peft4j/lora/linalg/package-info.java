/**
 * Dense linear algebra for the LoRA family's initialisers (PiSSA, LoRA-XS, LoRA-SB, LoLDU): SVD,
 * LU / LDU and QR of float32 DJL arrays, behind small factories in the style of EJML.
 *
 * <pre>{@code
 * SvdResult top = Svd.truncated(r).decompose(w, manager);   // sgesvdx, exact top-r
 * SvdResult fast = Svd.randomized(r, 10, 4, 42L).decompose(w, manager); // matmuls on w's device
 * LduResult ldu = Lu.ldu(w, manager);                        // W = P·L·diag(D)·U
 * QrResult qr = Qr.of(w, manager);
 * float err = top.reconstructionError(w);                    // a quality check beside each result
 * }</pre>
 *
 * <p><b>Data.</b> Inputs are finite 2-D float32 arrays {@code [m, n]} on any device, with
 * {@code m >= n} or {@code m < n}; they are never modified. Results are float32 arrays on the
 * input's device, attached to the manager the caller passes, and are {@link java.lang.AutoCloseable}.
 * Between DJL and LAPACK data moves by bulk buffer copies only (one copy in; none out on CPU).
 *
 * <p><b>Engine.</b> The exact decompositions call LAPACKE from JavaCPP's OpenBLAS
 * ({@code org.bytedeco:openblas}): {@code sgesdd} (never the much slower {@code sgesvd}),
 * {@code sgesvdx}, {@code sgetrf}, {@code sgeqrf} + {@code sorgqr}, in row-major layout. They run
 * one at a time on a single daemon thread with a 64 MB stack, because OpenBLAS's LU overflows the
 * default 1 MB Java stack; users need no {@code -Xss} flag. The randomized SVD does its heavy work
 * as DJL matmuls, so it runs on a GPU too.
 *
 * <p><b>Errors.</b> Bad input (not 2-D, not float32, empty, NaN/infinite entries, a rank outside
 * {@code 1..min(m, n)}) throws {@link java.lang.IllegalArgumentException} naming the shape and the
 * allowed values; a LAPACK routine that does not converge throws
 * {@link java.lang.ArithmeticException}.
 */
package org.peft4j.lora.linalg;

package org.peft4j.lora.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.nio.IntBuffer;

/**
 * The row permutation of a pivoted LU, held as a permutation vector {@code p} of length {@code m}:
 * row {@code i} of {@code L·U} is row {@code p[i]} of {@code W}, so {@code W = P·L·U} with
 * {@code P[p[i], i] = 1}.
 */
final class RowPermutation {

    private RowPermutation() {}

    /**
     * Converts LAPACK's {@code ipiv} (1-based; step {@code i} swapped rows {@code i} and
     * {@code ipiv[i] - 1}, for {@code i = 0 .. ipiv.length - 1}) into a permutation vector of
     * length {@code m}, by applying the swaps in order to the identity.
     */
    static int[] fromLapackPivots(IntBuffer ipiv, int m) {
        int[] p = new int[m];
        for (int i = 0; i < m; i++) {
            p[i] = i;
        }
        for (int i = 0; i < ipiv.capacity(); i++) {
            int j = ipiv.get(i) - 1;
            int swapped = p[i];
            p[i] = p[j];
            p[j] = swapped;
        }
        return p;
    }

    /** Checks that {@code p} holds each of {@code 0 .. m - 1} exactly once. */
    static void requirePermutation(int[] p, int m) {
        if (p.length != m) {
            throw new IllegalArgumentException(
                    "pivots must have length m = " + m + ", got " + p.length);
        }
        boolean[] seen = new boolean[m];
        for (int i = 0; i < m; i++) {
            if (p[i] < 0 || p[i] >= m || seen[p[i]]) {
                throw new IllegalArgumentException(
                        "pivots must be a permutation of 0.." + (m - 1) + "; entry " + i + " is "
                                + p[i]);
            }
            seen[p[i]] = true;
        }
    }

    /** The {@code [m, m]} float32 matrix {@code P} with {@code P[p[i], i] = 1}, on the manager's device. */
    static NDArray matrix(int[] p, NDManager manager) {
        int m = p.length;
        float[] entries = new float[Math.multiplyExact(m, m)];
        for (int i = 0; i < m; i++) {
            entries[p[i] * m + i] = 1f;
        }
        return manager.create(entries, new Shape(m, m));
    }
}

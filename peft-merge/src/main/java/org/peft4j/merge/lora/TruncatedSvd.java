package org.peft4j.merge.lora;

import ai.djl.ndarray.NDArray;

/**
 * The leading {@code k} singular triplets of a matrix {@code M [m, n] ~ U diag(S) Vh}.
 *
 * @param u left singular vectors {@code [m, k]}, orthonormal columns, float32
 * @param s singular values {@code [k]}, descending, float32
 * @param vh right singular vectors {@code [k, n]}, orthonormal rows, float32
 */
public record TruncatedSvd(NDArray u, NDArray s, NDArray vh) implements AutoCloseable {

    /** Closes the three arrays. */
    @Override
    public void close() {
        u.close();
        s.close();
        vh.close();
    }
}

package org.peft4j.quant.blockwise;

import ai.djl.ndarray.NDArray;

/**
 * Double-quantized absmax statistics.
 *
 * @param codes uint8 {@code [nb]}: one code per first-level block (stored as {@code absmax} in a
 *     bitsandbytes checkpoint)
 * @param nested how the codes decode
 */
public record DoubleQuantized(NDArray codes, NestedStatistics nested) implements AutoCloseable {

    /** Closes the arrays. */
    @Override
    public void close() {
        codes.close();
        nested.close();
    }
}

package org.peft4j.quant.blockwise;

import ai.djl.ndarray.NDArray;

/**
 * The output of blockwise 8-bit quantization of {@code n} elements.
 *
 * @param codes uint8, the input's shape: an index into the 256-entry code map per element
 * @param absmax float32 {@code [ceil(n/blocksize)]}: the largest |x| of each block
 */
public record Quantized8Bit(NDArray codes, NDArray absmax) implements AutoCloseable {

    /** Closes both arrays. */
    @Override
    public void close() {
        codes.close();
        absmax.close();
    }
}

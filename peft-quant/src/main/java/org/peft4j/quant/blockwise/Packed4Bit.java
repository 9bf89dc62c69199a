package org.peft4j.quant.blockwise;

import ai.djl.ndarray.NDArray;

/**
 * The output of blockwise 4-bit quantization of {@code n} elements.
 *
 * @param packed uint8 {@code [(n+1)/2, 1]}: element {@code 2k} in the high nibble of byte {@code k},
 *     element {@code 2k+1} in the low nibble; an odd {@code n} pads the last low nibble with the code
 *     of 0.0
 * @param absmax float32 {@code [ceil(n/blocksize)]}: the largest |x| of each block
 */
public record Packed4Bit(NDArray packed, NDArray absmax) implements AutoCloseable {

    /** Closes both arrays. */
    @Override
    public void close() {
        packed.close();
        absmax.close();
    }
}

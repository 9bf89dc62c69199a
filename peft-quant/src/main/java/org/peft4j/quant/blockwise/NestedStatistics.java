package org.peft4j.quant.blockwise;

import ai.djl.ndarray.NDArray;

/**
 * The second level of double quantization: how the uint8 absmax codes of the first level decode,
 * {@code absmax[i] = quantMap[code[i]] * absmax2[i / blocksize] + offset} in float32.
 *
 * @param absmax float32 {@code [ceil(nb/blocksize)]}, bitsandbytes' {@code nested_absmax}
 * @param quantMap float32 {@code [256]}, bitsandbytes' {@code nested_quant_map} (the signed dynamic
 *     map)
 * @param blocksize the nested block size (256 in bitsandbytes)
 * @param offset the mean of the first-level absmax, subtracted before quantizing ({@code
 *     nested_offset})
 */
public record NestedStatistics(NDArray absmax, NDArray quantMap, int blocksize, float offset) implements AutoCloseable {

    /** Closes the arrays. */
    @Override
    public void close() {
        absmax.close();
        quantMap.close();
    }
}

package org.peft4j.quant.nn;

import java.util.List;

/**
 * What {@link ModelQuantizer#quantize} did.
 *
 * @param quantized the dotted paths of the layers replaced by {@link QuantizedLinear}
 * @param kept the paths of linear layers left dense because the keep pattern matched
 * @param parameters the logical parameter count (weights and biases) of the quantized layers
 * @param bytesBefore bytes those layers held before (dense weights and biases)
 * @param bytesAfter bytes the quantized layers hold (packed codes, statistics, code books, biases)
 */
public record QuantizationReport(
        List<String> quantized, List<String> kept, long parameters, long bytesBefore, long bytesAfter) {

    /**
     * Copies the lists.
     *
     * @param quantized see the record description
     * @param kept see the record description
     * @param parameters see the record description
     * @param bytesBefore see the record description
     * @param bytesAfter see the record description
     */
    public QuantizationReport {
        quantized = List.copyOf(quantized);
        kept = List.copyOf(kept);
    }

    /**
     * Returns the bits per parameter of the quantized layers, {@code 8 * bytesAfter / parameters}.
     *
     * @return bits per parameter (about 4.127 for NF4 with double quantization at block size 64), or 0
     *     when nothing was quantized
     */
    public double bitsPerParameter() {
        return parameters == 0 ? 0 : 8.0 * bytesAfter / parameters;
    }

    /**
     * Returns how many times smaller the quantized layers are, {@code bytesBefore / bytesAfter}.
     *
     * @return the compression ratio, or 1 when nothing was quantized
     */
    public double compression() {
        return bytesAfter == 0 ? 1 : (double) bytesBefore / bytesAfter;
    }
}

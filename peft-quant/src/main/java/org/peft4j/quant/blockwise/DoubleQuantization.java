package org.peft4j.quant.blockwise;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import org.peft4j.quant.codebook.DynamicMap;

/**
 * QLoRA's double quantization of the float32 absmax statistics (Dettmers et al. 2023, §3;
 * bitsandbytes {@code quantize_4bit(compress_statistics=True)}):
 *
 * <pre>
 * offset = mean(absmax)                      float32 (accumulated in float64, rounded once)
 * (q8, absmax2) = blockwise 8-bit(absmax - offset, signed dynamic map, blocksize 256)
 * restored[i] = map[q8[i]] * absmax2[i / 256] + offset   (float32, two roundings)
 * </pre>
 *
 * At 4-bit block size 64 this costs {@code 8/64 + 32/(64*256)} = 0.127 bits per parameter instead
 * of 32/64 = 0.5.
 */
public final class DoubleQuantization {

    private DoubleQuantization() {}

    /**
     * Compresses first-level absmax statistics.
     *
     * @param absmax float32 {@code [nb]}; not modified
     * @param owner the manager of the result
     * @return uint8 codes {@code [nb]} and the nested statistics (offset, float32 {@code
     *     [ceil(nb/256)]} nested absmax, the 256-entry map)
     */
    public static DoubleQuantized compress(NDArray absmax, NDManager owner) {
        try (NDManager scratch = owner.newSubManager(absmax.getDevice())) {
            NDArray values = ManagedView.of(absmax, scratch).toType(DataType.FLOAT32, false);
            float offset = (float) values.toType(DataType.FLOAT64, false).mean().getDouble();
            NDArray centered = values.sub(offset);
            Quantized8Bit q = Blockwise8Bit.quantize(centered, DynamicMap.values(), Blocksize.NESTED, owner);
            NDArray map = owner.create(DynamicMap.values());
            return new DoubleQuantized(q.codes(), new NestedStatistics(q.absmax(), map, Blocksize.NESTED, offset));
        }
    }

    /**
     * Restores float32 absmax statistics from their codes.
     *
     * @param codes uint8 {@code [nb]}
     * @param nested the second-level statistics
     * @param target the manager (and device) of the result
     * @return float32 {@code [nb]} owned by {@code target}
     */
    public static NDArray restore(NDArray codes, NestedStatistics nested, NDManager target) {
        NDArray scaled = Blockwise8Bit.dequantize(codes, nested.absmax(), nested.quantMap(), nested.blocksize(), target);
        return scaled.addi(nested.offset());
    }
}

package org.peft4j.quant.blockwise;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.peft4j.quant.codebook.DynamicMap;

/**
 * Blockwise 8-bit quantization with a sorted 256-entry code map (by default bitsandbytes' signed
 * dynamic map, {@link DynamicMap}), as bitsandbytes' {@code quantize_blockwise} /
 * {@code dequantize_blockwise}: per block {@code absmax = max|x|}, {@code s = clamp(x * (1 /
 * max(absmax, 1e-38)), -1, 1)} in float32, code = number of float32 midpoints of the map strictly
 * below {@code s} (ties to the lower code); dequantization is {@code map[q] * absmax[i / blocksize]}.
 * This is the quantizer of double quantization (block size 256) and is usable on its own.
 */
public final class Blockwise8Bit {

    private Blockwise8Bit() {}

    /**
     * Quantizes with the signed dynamic map.
     *
     * @param x float values, any shape; not modified
     * @param blocksize a power of two in 32..4096
     * @param owner the manager of the result
     * @return uint8 codes (shape of {@code x}) and float32 absmax {@code [ceil(n/blocksize)]}
     */
    public static Quantized8Bit quantize(NDArray x, int blocksize, NDManager owner) {
        return quantize(x, DynamicMap.values(), blocksize, owner);
    }

    /**
     * Quantizes with a given code map.
     *
     * @param x float values, any shape; not modified
     * @param codeMap 256 float32 values sorted ascending, within [-1, 1]
     * @param blocksize a power of two in 32..4096
     * @param owner the manager of the result
     * @return uint8 codes (shape of {@code x}) and float32 absmax {@code [ceil(n/blocksize)]}
     * @throws IllegalArgumentException for a bad map, block size or empty input
     */
    public static Quantized8Bit quantize(NDArray x, float[] codeMap, int blocksize, NDManager owner) {
        float[] thresholds = thresholdsOf(codeMap);
        Blocksize.requireAllowed("blocksize", blocksize);
        long n = x.size();
        if (n == 0) {
            throw new IllegalArgumentException("cannot quantize an empty array of shape " + x.getShape());
        }
        long blocks = (n + blocksize - 1) / blocksize;
        long padded = blocks * blocksize;
        try (NDManager scratch = owner.newSubManager(x.getDevice())) {
            NDArray values = ManagedView.of(x, scratch).reshape(n).toType(DataType.FLOAT32, false);
            if (padded > n) {
                values = values.concat(scratch.zeros(new Shape(padded - n), DataType.FLOAT32));
            }
            NDArray grid = values.reshape(blocks, blocksize);
            NDArray absmax = grid.abs().max(new int[] {1});
            NDArray inverse = scratch.full(new Shape(blocks), 1f).div(absmax.maximum(Blockwise4Bit.MIN_ABSMAX));
            NDArray scaled = grid.mul(inverse.reshape(blocks, 1)).clip(-1f, 1f).reshape(padded);
            NDArray codes = NearestCode.countBelowSorted(scaled, thresholds)
                    .get(new NDIndex("0:{}", n))
                    .reshape(x.getShape());
            codes.attach(owner);
            absmax.attach(owner);
            return new Quantized8Bit(codes, absmax);
        }
    }

    /**
     * Dequantizes 8-bit codes to float32.
     *
     * @param codes uint8 codes, any shape, {@code n} elements
     * @param absmax float32 {@code [ceil(n/blocksize)]}
     * @param codeMap float32 {@code [256]}
     * @param blocksize the block size used to quantize
     * @param target the manager (and device) of the result
     * @return float32 values in the shape of {@code codes}
     */
    public static NDArray dequantize(NDArray codes, NDArray absmax, NDArray codeMap, int blocksize, NDManager target) {
        long n = codes.size();
        try (NDManager scratch = target.newSubManager()) {
            NDArray map = ManagedView.of(codeMap, scratch).toType(DataType.FLOAT32, false);
            NDArray index = ManagedView.of(codes, scratch).reshape(n).toType(DataType.INT64, false);
            NDArray values = map.take(scratch, index);
            NDArray scales = ManagedView.of(absmax, scratch).toType(DataType.FLOAT32, false);
            NDArray out = BlockScaling.apply(values, scales, blocksize, n).reshape(codes.getShape());
            out.attach(target);
            return out;
        }
    }

    private static float[] thresholdsOf(float[] codeMap) {
        if (codeMap == null || codeMap.length != 256) {
            throw new IllegalArgumentException(
                    "codeMap must have 256 values, got " + (codeMap == null ? "null" : codeMap.length));
        }
        float[] mid = new float[255];
        for (int i = 0; i < 255; i++) {
            if (!(codeMap[i] <= codeMap[i + 1])) {
                throw new IllegalArgumentException(
                        "codeMap must be sorted ascending; entry " + i + " (" + codeMap[i] + ") > entry " + (i + 1)
                                + " (" + codeMap[i + 1] + ")");
            }
            mid[i] = (codeMap[i] + codeMap[i + 1]) / 2f;
        }
        return mid;
    }
}

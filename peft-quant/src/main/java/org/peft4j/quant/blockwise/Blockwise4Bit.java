package org.peft4j.quant.blockwise;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.peft4j.quant.QuantType;
import org.peft4j.quant.codebook.Nf4Codebook;

import java.util.Objects;

/**
 * Blockwise 4-bit quantization (NF4 or FP4) with bitsandbytes' exact semantics (its default
 * backend, {@code bitsandbytes/backends/default/ops.py}, and {@code csrc/kernels.cu}):
 *
 * <ol>
 *   <li>flatten row-major; blocks of {@code blocksize} consecutive elements, the last one partial;
 *   <li>{@code absmax[b] = max |x|} over the block (float32);
 *   <li>{@code s = clamp(x * (1 / max(absmax[b], 1e-38)), -1, 1)} in float32 (reciprocal, then
 *       multiply, as bitsandbytes does; the clamp of absmax only matters for all-zero blocks, which
 *       then quantize to the code of 0.0);
 *   <li>the nearest code by float32 midpoints with strict {@code >} (ties to the lower code; FP4:
 *       to the smaller magnitude, sign from {@code s < 0});
 *   <li>two codes per byte, element {@code 2k} in the high nibble.
 * </ol>
 *
 * <p>Dequantization is {@code code[q] * absmax[i / blocksize]} in float32. Everything runs as DJL ops
 * on the weight's device; DJL has no bitwise ops, so packing is {@code hi * 16 + lo} and unpacking
 * a gather of whole bytes from a 256-row table of code pairs ({@link Blockwise4BitDecoder}).
 */
public final class Blockwise4Bit {

    /** Scales below this are clamped before taking the reciprocal (bitsandbytes' default backend). */
    static final float MIN_ABSMAX = 1e-38f;

    /**
     * Elements per quantize pass, a multiple of every allowed block size. Passes keep each temporary
     * at a few MB, which the allocator reuses from pass to pass instead of mapping fresh pages for
     * every op; dequantizing a 4096 x 4096 weight this way is about 2.5 times faster on CPU than in
     * one piece (benchmarks' Nf4Throughput), and quantizing gains likewise.
     */
    private static final long PASS = Blockwise4BitDecoder.PASS;

    private Blockwise4Bit() {}

    /**
     * Quantizes a weight of any shape.
     *
     * @param weight float32 or float16 values, any shape, {@code n} elements; not modified
     * @param type NF4 or FP4
     * @param blocksize a power of two in 32..4096
     * @param owner the manager that owns the returned arrays (its device should be the weight's)
     * @return packed uint8 {@code [(n+1)/2, 1]} and float32 absmax {@code [ceil(n/blocksize)]}
     * @throws IllegalArgumentException for a bad block size, an empty weight or a non-float dtype
     */
    public static Packed4Bit quantize(NDArray weight, QuantType type, int blocksize, NDManager owner) {
        Objects.requireNonNull(type, "type");
        Blocksize.requireAllowed("blocksize", blocksize);
        long n = weight.size();
        if (n == 0) {
            throw new IllegalArgumentException("cannot quantize an empty weight of shape " + weight.getShape());
        }
        if (!weight.getDataType().isFloating()) {
            throw new IllegalArgumentException("weight dtype must be floating point, got " + weight.getDataType());
        }
        try (NDManager scratch = owner.newSubManager(weight.getDevice())) {
            NDArray flat = ManagedView.of(weight, scratch).reshape(n);
            NDList packedParts = new NDList();
            NDList absmaxParts = new NDList();
            for (long start = 0; start < n; start += PASS) {
                long end = Math.min(n, start + PASS);
                try (NDManager pass = scratch.newSubManager()) {
                    NDArray x = flat.get(new NDIndex("{}:{}", start, end));
                    x.attach(pass);
                    Packed4Bit part = quantizeFlat(x, type, blocksize);
                    part.packed().attach(scratch);
                    part.absmax().attach(scratch);
                    packedParts.add(part.packed());
                    absmaxParts.add(part.absmax());
                }
            }
            NDArray packed = (packedParts.size() == 1 ? packedParts.get(0) : NDArrays.concat(packedParts))
                    .reshape((n + 1) / 2, 1);
            NDArray absmax = absmaxParts.size() == 1 ? absmaxParts.get(0) : NDArrays.concat(absmaxParts);
            packed.attach(owner);
            absmax.attach(owner);
            return new Packed4Bit(packed, absmax);
        }
    }

    /** Quantizes a flat array whose length is a multiple of the block size unless it is the tail. */
    private static Packed4Bit quantizeFlat(NDArray x, QuantType type, int blocksize) {
        NDManager manager = x.getManager();
        long len = x.size();
        long blocks = (len + blocksize - 1) / blocksize;
        long padded = blocks * blocksize;
        NDArray values = x.toType(DataType.FLOAT32, false);
        if (padded > len) {
            // padding zeros do not change max|x| and quantize to the code of 0.0, which is also the
            // nibble bitsandbytes pads an odd element count with
            values = values.concat(manager.zeros(new Shape(padded - len), DataType.FLOAT32));
        }
        NDArray grid = values.reshape(blocks, blocksize);
        NDArray absmax = grid.abs().max(new int[] {1});
        NDArray inverse = manager.full(new Shape(blocks), 1f).div(absmax.maximum(MIN_ABSMAX));
        NDArray scaled = grid.mul(inverse.reshape(blocks, 1)).clip(-1f, 1f).reshape(padded);
        NDArray codes =
                type == QuantType.NF4
                        ? NearestCode.countBelow(scaled, Nf4Codebook.thresholds())
                        : NearestCode.fp4(scaled);
        long bytes = (len + 1) / 2;
        NDArray pairs = codes.get(new NDIndex("0:{}", 2 * bytes)).reshape(bytes, 2);
        NDArray packed = pairs.get(new NDIndex(":, 0")).mul(16).add(pairs.get(new NDIndex(":, 1")));
        return new Packed4Bit(packed, absmax);
    }

    /**
     * Dequantizes packed 4-bit data to float32 (once; to dequantize the same statistics repeatedly,
     * build a {@link Blockwise4BitDecoder} and keep it).
     *
     * @param packed uint8, {@code (n+1)/2} bytes in any shape
     * @param absmax float32 {@code [ceil(n/blocksize)]}
     * @param quantMap float32 {@code [16]}, the code book by code
     * @param blocksize the block size used to quantize
     * @param shape the original shape, {@code n} elements
     * @param target the manager (and device) of the result
     * @return float32 values of {@code shape}, owned by {@code target}
     */
    public static NDArray dequantize(
            NDArray packed, NDArray absmax, NDArray quantMap, int blocksize, Shape shape, NDManager target) {
        try (NDManager scratch = target.newSubManager();
                Blockwise4BitDecoder decoder = Blockwise4BitDecoder.create(quantMap, absmax, blocksize, shape, scratch)) {
            NDArray out = decoder.dequantize(packed, scratch);
            out.attach(target);
            return out;
        }
    }
}

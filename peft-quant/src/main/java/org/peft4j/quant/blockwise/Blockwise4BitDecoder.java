package org.peft4j.quant.blockwise;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;

import java.util.Objects;

/**
 * What dequantizing one packed 4-bit weight needs besides its codes, decoded once so that repeated
 * dequantization (a frozen base layer's every forward pass) does only the per-weight work:
 *
 * <ul>
 *   <li>the pair table, float32 {@code [256, 2]}: row {@code b} holds {@code (map[b / 16], map[b %
 *       16])}, the values of the high and low nibble of byte {@code b} (2 KiB);
 *   <li>the float32 absmax per block {@code [ceil(n / blocksize)]}, with double quantization
 *       already restored (4 bytes per block: 0.5 bit per weight at block size 64).
 * </ul>
 *
 * Dequantizing is then three passes over the weight: widen the bytes to int32 indices, gather one
 * table row per byte (an embedding look-up, i.e. {@code index_select}), multiply each block by its
 * absmax. The values are exactly those of {@link Blockwise4Bit#dequantize}: the gather copies code
 * values and each product {@code code * absmax} is one float32 rounding either way.
 *
 * <p>The decoder owns its two arrays (in the manager given at creation) and must be closed.
 */
public final class Blockwise4BitDecoder implements AutoCloseable {

    /**
     * Elements per dequantize pass, a multiple of every allowed block size. Passes keep each
     * temporary at a few MB, which the allocator reuses from pass to pass instead of mapping fresh
     * pages for every op.
     */
    static final long PASS = 1L << 20;

    private final NDArray pairs;
    private final NDArray scales;
    private final int blocksize;
    private final Shape shape;

    private Blockwise4BitDecoder(NDArray pairs, NDArray scales, int blocksize, Shape shape) {
        this.pairs = pairs;
        this.scales = scales;
        this.blocksize = blocksize;
        this.shape = shape;
    }

    /**
     * Builds a decoder.
     *
     * @param quantMap float32 {@code [16]}, the code book by code; not retained
     * @param absmax float32 {@code [ceil(n / blocksize)]}, the restored absmax; copied
     * @param blocksize the block size the weight was quantized with
     * @param shape the weight's original shape, {@code n} elements
     * @param owner the manager (and device) of the decoder's arrays
     * @return the decoder
     * @throws IllegalArgumentException if the code book does not have 16 values or the absmax count
     *     does not match {@code shape} and {@code blocksize}
     */
    public static Blockwise4BitDecoder create(NDArray quantMap, NDArray absmax, int blocksize, Shape shape, NDManager owner) {
        Objects.requireNonNull(quantMap, "quantMap");
        Objects.requireNonNull(absmax, "absmax");
        Blocksize.requireAllowed("blocksize", blocksize);
        long n = shape.size();
        long blocks = (n + blocksize - 1) / blocksize;
        if (quantMap.size() != 16) {
            throw new IllegalArgumentException("quantMap must have 16 values, got " + quantMap.size());
        }
        if (absmax.size() != blocks) {
            throw new IllegalArgumentException("absmax must have ceil(" + n + "/" + blocksize + ") = " + blocks + " values for shape "
                    + shape + ", got " + absmax.size());
        }
        NDArray pairs;
        NDArray scales;
        try (NDManager scratch = owner.newSubManager()) {
            pairs = pairTable(ManagedView.of(quantMap, scratch).toType(DataType.FLOAT32, false).reshape(16));
            NDArray s = ManagedView.of(absmax, scratch).toType(DataType.FLOAT32, false).reshape(blocks);
            // a fresh contiguous copy: the decoder must not share storage with the caller's array
            scales = s.duplicate();
            pairs.attach(owner);
            scales.attach(owner);
        }
        return new Blockwise4BitDecoder(pairs, scales, blocksize, shape);
    }

    /**
     * Dequantizes packed 4-bit data to float32.
     *
     * @param packed uint8, {@code (n+1)/2} bytes in any shape (not modified)
     * @param target the manager (and device) of the result
     * @return float32 values of the decoder's shape, owned by {@code target}
     * @throws IllegalArgumentException if {@code packed} does not hold {@code (n+1)/2} bytes
     */
    public NDArray dequantize(NDArray packed, NDManager target) {
        long n = shape.size();
        requirePackedSize(packed);
        if (n <= PASS) {
            try (NDManager scratch = target.newSubManager()) {
                NDArray flatPacked = ManagedView.of(packed, scratch).reshape((n + 1) / 2);
                NDArray shaped = decode(flatPacked, ManagedView.of(pairs, scratch), ManagedView.of(scales, scratch), n).reshape(shape);
                shaped.attach(target);
                return shaped;
            }
        }
        NDArray out = target.create(shape, DataType.FLOAT32);
        dequantizeInto(packed, out);
        return out;
    }

    /**
     * Dequantizes packed 4-bit data into an existing float32 array, pass by pass, without
     * allocating the result: the way to dequantize again and again into one buffer (fresh
     * allocations of tens of MB cost a page fault per 4 KiB page on first touch, which on some
     * machines takes longer than the dequantization itself).
     *
     * @param packed uint8, {@code (n+1)/2} bytes in any shape (not modified)
     * @param out float32, contiguous, {@code n} elements in any shape, on the decoder's device;
     *     overwritten with the values {@link #dequantize} returns
     * @throws IllegalArgumentException if {@code packed} does not hold {@code (n+1)/2} bytes, or
     *     {@code out} is not float32 or does not hold {@code n} elements
     */
    public void dequantizeInto(NDArray packed, NDArray out) {
        long n = shape.size();
        requirePackedSize(packed);
        if (out.getDataType() != DataType.FLOAT32 || out.size() != n) {
            throw new IllegalArgumentException("output must be float32 with " + n + " elements (shape " + shape + "), got "
                    + out.getDataType() + " " + out.getShape());
        }
        try (NDManager scratch = out.getManager().newSubManager()) {
            NDArray flatPacked = ManagedView.of(packed, scratch).reshape((n + 1) / 2);
            NDArray table = ManagedView.of(pairs, scratch);
            NDArray blockScales = ManagedView.of(scales, scratch);
            // a view of the caller's storage: writing a slice of it writes the caller's array
            NDArray flatOut = ManagedView.of(out, scratch).reshape(n);
            for (long start = 0; start < n; start += PASS) {
                long end = Math.min(n, start + PASS);
                try (NDManager pass = scratch.newSubManager()) {
                    NDArray chunk = flatPacked.get(new NDIndex("{}:{}", start / 2, (end + 1) / 2));
                    chunk.attach(pass);
                    NDArray chunkScales = blockScales.get(new NDIndex("{}:{}", start / blocksize, (end + blocksize - 1) / blocksize));
                    chunkScales.attach(pass);
                    flatOut.set(new NDIndex("{}:{}", start, end), decode(chunk, table, chunkScales, end - start));
                }
            }
        }
    }

    private void requirePackedSize(NDArray packed) {
        long bytes = (shape.size() + 1) / 2;
        if (packed.size() != bytes) {
            throw new IllegalArgumentException("packed data has " + packed.size() + " bytes but shape " + shape + " needs " + bytes);
        }
    }

    /**
     * Returns the bytes the decoder holds: the pair table and the float32 absmax.
     *
     * @return bytes held
     */
    public long bytesHeld() {
        return (pairs.size() + scales.size()) * Float.BYTES;
    }

    /**
     * Returns the weight shape the decoder was built for.
     *
     * @return the original shape
     */
    public Shape shape() {
        return shape;
    }

    /** Closes the pair table and the absmax copy. */
    @Override
    public void close() {
        pairs.close();
        scales.close();
    }

    /** Decodes {@code n} elements from their packed bytes; the result is in the bytes' manager. */
    private NDArray decode(NDArray bytes, NDArray table, NDArray blockScales, long n) {
        // int32 indices: the embedding gather (index_select) takes them as they are, while an
        // advanced-index gather widens them to int64 first (an extra pass)
        NDArray index = bytes.toType(DataType.INT32, false);
        NDArray gathered = index.getNDArrayInternal().embedding(index, table, SparseFormat.DENSE).singletonOrThrow();
        gathered.attach(bytes.getManager());
        index.close();
        return BlockScaling.apply(gathered.reshape(2 * bytes.size()), blockScales, blocksize, n);
    }

    /** Returns {@code [256, 2]}: row {@code b} is {@code (map[b / 16], map[b % 16])}. */
    private static NDArray pairTable(NDArray quantMap) {
        NDManager manager = quantMap.getManager();
        long[] nibbles = new long[512];
        for (int b = 0; b < 256; b++) {
            nibbles[2 * b] = b >> 4;
            nibbles[2 * b + 1] = b & 0xF;
        }
        try (NDArray index = manager.create(nibbles, new Shape(256, 2))) {
            return quantMap.take(manager, index);
        }
    }
}

package org.peft4j.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.peft4j.quant.blockwise.Blocksize;
import org.peft4j.quant.blockwise.Blockwise4Bit;
import org.peft4j.quant.blockwise.Blockwise4BitDecoder;
import org.peft4j.quant.blockwise.DoubleQuantization;
import org.peft4j.quant.blockwise.DoubleQuantized;
import org.peft4j.quant.blockwise.NestedStatistics;
import org.peft4j.quant.blockwise.Packed4Bit;

import java.util.Objects;

/**
 * A 4-bit quantized weight, as bitsandbytes' {@code QuantState} plus its packed data: everything
 * needed to dequantize, and exactly what a bitsandbytes checkpoint stores (see {@code
 * org.peft4j.quant.bnb.BnbCheckpoint}).
 *
 * <p>With {@code n = shape.size()} and {@code nb = ceil(n / blocksize)}:
 *
 * @param quantType NF4 or FP4
 * @param blocksize elements per absmax block, a power of two in 32..4096
 * @param dtype the weight's dtype before quantization (what dequantization returns)
 * @param shape the weight's original shape
 * @param packed uint8 {@code [(n+1)/2, 1]}, two codes per byte, element {@code 2k} in the high nibble
 * @param absmax float32 {@code [nb]}; or, with double quantization, uint8 {@code [nb]} codes decoded
 *     by {@code nested}
 * @param quantMap float32 {@code [16]}, the code book by code
 * @param nested the second-level statistics of double quantization, or null without it
 */
public record QuantState(
        QuantType quantType,
        int blocksize,
        WeightDtype dtype,
        Shape shape,
        NDArray packed,
        NDArray absmax,
        NDArray quantMap,
        NestedStatistics nested)
        implements AutoCloseable {

    /**
     * Validates the state; errors name the bitsandbytes key suffix ({@code weight.absmax}, ...).
     *
     * @param quantType see the record description
     * @param blocksize see the record description
     * @param dtype see the record description
     * @param shape see the record description
     * @param packed see the record description
     * @param absmax see the record description
     * @param quantMap see the record description
     * @param nested see the record description
     * @throws QuantStateException if the state is inconsistent
     */
    public QuantState {
        validate("weight", quantType, blocksize, dtype, shape, packed, absmax, quantMap, nested);
    }

    /**
     * Quantizes a weight with a configuration ({@link QuantConfig#keep()} is not used here).
     *
     * @param weight float32 or float16, any shape; not modified
     * @param config type, block size, double quantization
     * @param owner the manager that owns the state's arrays
     * @return the state
     */
    public static QuantState quantize(NDArray weight, QuantConfig config, NDManager owner) {
        return quantize(weight, config.quantType(), config.blocksize(), config.doubleQuant(), owner);
    }

    /**
     * Quantizes a weight.
     *
     * @param weight float32 or float16, any shape; not modified
     * @param type NF4 or FP4
     * @param blocksize a power of two in 32..4096
     * @param doubleQuant whether to double-quantize the absmax statistics
     * @param owner the manager that owns the state's arrays
     * @return the state
     * @throws IllegalArgumentException for a bad block size, dtype or an empty weight
     */
    public static QuantState quantize(
            NDArray weight, QuantType type, int blocksize, boolean doubleQuant, NDManager owner) {
        WeightDtype dtype = WeightDtype.of(weight.getDataType());
        Packed4Bit q = Blockwise4Bit.quantize(weight, type, blocksize, owner);
        NDArray quantMap = owner.create(type.codebook());
        if (!doubleQuant) {
            return new QuantState(type, blocksize, dtype, weight.getShape(), q.packed(), q.absmax(), quantMap, null);
        }
        DoubleQuantized dq;
        try (NDArray absmax = q.absmax()) {
            dq = DoubleQuantization.compress(absmax, owner);
        }
        return new QuantState(type, blocksize, dtype, weight.getShape(), q.packed(), dq.codes(), quantMap, dq.nested());
    }

    /**
     * Returns whether the absmax statistics are double-quantized.
     *
     * @return true when {@link #nested()} is present
     */
    public boolean doubleQuantized() {
        return nested != null;
    }

    /**
     * Returns the number of weight elements.
     *
     * @return {@code shape.size()}
     */
    public long numel() {
        return shape.size();
    }

    /**
     * Returns the configuration this state was quantized with (no keep pattern).
     *
     * @return the configuration
     */
    public QuantConfig config() {
        return new QuantConfig(quantType, blocksize, doubleQuantized(), null);
    }

    /**
     * Returns the float32 absmax per block, decoding double-quantized statistics.
     *
     * @param manager the owner (and device) of the result
     * @return float32 {@code [nb]}, a new array
     */
    public NDArray absmaxFloat32(NDManager manager) {
        if (nested == null) {
            return copyOf(absmax, manager);
        }
        return DoubleQuantization.restore(absmax, nested, manager);
    }

    /**
     * Dequantizes to {@link WeightDtype#computeType()} of {@link #dtype()}.
     *
     * @param manager the owner (and device) of the result
     * @return the weight in its original shape, a new array
     */
    public NDArray dequantize(NDManager manager) {
        return dequantize(manager, dtype.computeType());
    }

    /**
     * Dequantizes: {@code code[q] * absmax} in float32, then cast to {@code type}.
     *
     * @param manager the owner (and device) of the result
     * @param type the result dtype (a floating type)
     * @return the weight in its original shape, a new array
     */
    public NDArray dequantize(NDManager manager, DataType type) {
        if (!type.isFloating()) {
            throw new IllegalArgumentException("dequantization dtype must be floating point, got " + type);
        }
        try (NDManager scratch = manager.newSubManager();
                Blockwise4BitDecoder decoder = decoder(scratch)) {
            return dequantize(decoder, manager, type);
        }
    }

    /**
     * Dequantizes with a decoder made by {@link #decoder(NDManager)} for this state, which skips
     * building the code-pair table and restoring double-quantized absmax: the way to dequantize the
     * same state again and again (a frozen base layer's forward passes).
     *
     * @param decoder this state's decoder
     * @param manager the owner (and device) of the result
     * @param type the result dtype (a floating type)
     * @return the weight in its original shape, a new array
     * @throws IllegalArgumentException if the decoder was built for another shape or {@code type} is
     *     not floating point
     */
    public NDArray dequantize(Blockwise4BitDecoder decoder, NDManager manager, DataType type) {
        if (!type.isFloating()) {
            throw new IllegalArgumentException("dequantization dtype must be floating point, got " + type);
        }
        if (!decoder.shape().equals(shape)) {
            throw new IllegalArgumentException("the decoder was built for shape " + decoder.shape() + ", this state is " + shape);
        }
        NDArray out = decoder.dequantize(packed, manager);
        if (type != DataType.FLOAT32) {
            try (NDArray wide = out) {
                out = wide.toType(type, false);
            }
        }
        return out;
    }

    /**
     * Dequantizes into an existing float32 array with a decoder made by {@link #decoder(NDManager)}
     * for this state, allocating no result: the way to dequantize into one reused buffer. The values
     * are those of {@link #dequantize(Blockwise4BitDecoder, NDManager, DataType)} with float32.
     *
     * @param decoder this state's decoder
     * @param out float32, contiguous, as many elements as {@link #shape()}; overwritten
     * @throws IllegalArgumentException if the decoder was built for another shape, or {@code out}
     *     is not float32 or has another element count
     */
    public void dequantizeInto(Blockwise4BitDecoder decoder, NDArray out) {
        if (!decoder.shape().equals(shape)) {
            throw new IllegalArgumentException("the decoder was built for shape " + decoder.shape() + ", this state is " + shape);
        }
        decoder.dequantizeInto(packed, out);
    }

    /**
     * Builds the decoder of this state: its code-pair table and its float32 absmax (restored from
     * double quantization if need be), 2 KiB plus 4 bytes per block. Valid as long as this state
     * is; the caller closes it.
     *
     * @param owner the manager (and device) of the decoder's arrays
     * @return the decoder
     */
    public Blockwise4BitDecoder decoder(NDManager owner) {
        try (NDManager scratch = owner.newSubManager()) {
            NDArray scales = nested == null ? absmax : DoubleQuantization.restore(absmax, nested, scratch);
            return Blockwise4BitDecoder.create(quantMap, scales, blocksize, shape, owner);
        }
    }

    /**
     * Returns the bytes the state's arrays hold: packed data, absmax (float32 or uint8 codes), the
     * code book, and with double quantization the nested absmax, nested map and the 4-byte offset.
     *
     * @return bytes held
     */
    public long bytesHeld() {
        long bytes = bytesOf(packed) + bytesOf(absmax) + bytesOf(quantMap);
        if (nested != null) {
            bytes += bytesOf(nested.absmax()) + bytesOf(nested.quantMap()) + Float.BYTES;
        }
        return bytes;
    }

    /**
     * Returns a copy of the state whose arrays belong to {@code manager} (and its device).
     *
     * @param manager the owner of the copy
     * @return the copy
     */
    public QuantState copy(NDManager manager) {
        NestedStatistics n =
                nested == null
                        ? null
                        : new NestedStatistics(
                                copyOf(nested.absmax(), manager),
                                copyOf(nested.quantMap(), manager),
                                nested.blocksize(),
                                nested.offset());
        return new QuantState(
                quantType, blocksize, dtype, shape, copyOf(packed, manager), copyOf(absmax, manager),
                copyOf(quantMap, manager), n);
    }

    /** Closes every array of the state. */
    @Override
    public void close() {
        packed.close();
        absmax.close();
        quantMap.close();
        if (nested != null) {
            nested.close();
        }
    }

    /**
     * Checks that a state is consistent, naming tensors as {@code weightKey}, {@code
     * weightKey.absmax}, {@code weightKey.quant_map}, {@code weightKey.nested_absmax}, {@code
     * weightKey.nested_quant_map}.
     *
     * @param weightKey the key of the packed weight, e.g. {@code layer.0.q_proj.weight}
     * @param quantType the 4-bit type
     * @param blocksize the block size
     * @param dtype the original dtype
     * @param shape the original shape
     * @param packed packed data
     * @param absmax statistics
     * @param quantMap code book
     * @param nested nested statistics or null
     * @throws QuantStateException naming the tensor and the problem
     */
    public static void validate(
            String weightKey,
            QuantType quantType,
            int blocksize,
            WeightDtype dtype,
            Shape shape,
            NDArray packed,
            NDArray absmax,
            NDArray quantMap,
            NestedStatistics nested) {
        String stateKey = weightKey + ".quant_state";
        if (quantType == null) {
            throw new QuantStateException(stateKey + ": quant_type is missing; allowed: [nf4, fp4]");
        }
        if (!Blocksize.isAllowed(blocksize)) {
            throw new QuantStateException(
                    stateKey + ": blocksize " + blocksize + " is not allowed; allowed: " + Blocksize.ALLOWED);
        }
        if (dtype == null) {
            throw new QuantStateException(stateKey + ": dtype is missing; allowed: [float32, float16, bfloat16]");
        }
        if (shape == null || shape.size() <= 0 || shape.getShape().length == 0) {
            throw new QuantStateException(stateKey + ": shape " + shape + " has no elements");
        }
        long n = shape.size();
        long blocks = (n + blocksize - 1) / blocksize;
        require(packed, weightKey);
        if (packed.getDataType() != DataType.UINT8) {
            throw new QuantStateException(
                    weightKey + ": packed data must be uint8 (quant_storage other than uint8 is not supported), is "
                            + packed.getDataType());
        }
        long bytes = (n + 1) / 2;
        if (packed.size() != bytes) {
            throw new QuantStateException(
                    weightKey + ": has " + packed.size() + " packed bytes but shape " + shape + " (" + n
                            + " elements) needs (n+1)/2 = " + bytes
                            + (packed.size() < bytes ? " (truncated data)" : " (shape does not match the data)"));
        }
        require(absmax, weightKey + ".absmax");
        DataType absmaxType = nested == null ? DataType.FLOAT32 : DataType.UINT8;
        if (absmax.getDataType() != absmaxType) {
            throw new QuantStateException(
                    weightKey + ".absmax: must be " + absmaxType + (nested == null ? " without" : " with")
                            + " double quantization, is " + absmax.getDataType());
        }
        if (absmax.size() != blocks) {
            throw new QuantStateException(
                    weightKey + ".absmax: has " + absmax.size() + " values but shape " + shape + " with blocksize "
                            + blocksize + " needs ceil(" + n + "/" + blocksize + ") = " + blocks);
        }
        requireFloat32(quantMap, weightKey + ".quant_map", 16);
        if (nested != null) {
            if (!Blocksize.isAllowed(nested.blocksize())) {
                throw new QuantStateException(
                        stateKey + ": nested_blocksize " + nested.blocksize() + " is not allowed; allowed: "
                                + Blocksize.ALLOWED);
            }
            if (!Float.isFinite(nested.offset())) {
                throw new QuantStateException(stateKey + ": nested_offset must be finite, is " + nested.offset());
            }
            long nestedBlocks = (blocks + nested.blocksize() - 1) / nested.blocksize();
            requireFloat32(nested.absmax(), weightKey + ".nested_absmax", nestedBlocks);
            requireFloat32(nested.quantMap(), weightKey + ".nested_quant_map", 256);
        }
    }

    private static void require(NDArray array, String key) {
        if (array == null) {
            throw new QuantStateException(key + ": tensor is missing");
        }
    }

    private static void requireFloat32(NDArray array, String key, long length) {
        require(array, key);
        if (array.getDataType() != DataType.FLOAT32) {
            throw new QuantStateException(key + ": must be float32, is " + array.getDataType());
        }
        if (array.size() != length) {
            throw new QuantStateException(key + ": has " + array.size() + " values, expected " + length);
        }
    }

    private static long bytesOf(NDArray array) {
        return array.size() * array.getDataType().getNumOfBytes();
    }

    /** A copy that never shares storage with {@code array} (a same-device {@code toDevice} may alias). */
    private static NDArray copyOf(NDArray array, NDManager manager) {
        NDArray copy =
                array.getDevice().equals(manager.getDevice())
                        ? array.duplicate()
                        : array.toDevice(manager.getDevice(), true);
        copy.attach(manager);
        return copy;
    }
}

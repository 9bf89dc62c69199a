package org.peft4j.quant.blockwise;

import java.util.List;

/**
 * The block sizes bitsandbytes accepts for blockwise quantization: the powers of two 32..4096
 * ({@code quantize_4bit}; the nested statistics of double quantization always use 256).
 */
public final class Blocksize {

    /** The allowed block sizes, ascending. */
    public static final List<Integer> ALLOWED = List.of(32, 64, 128, 256, 512, 1024, 2048, 4096);

    /** bitsandbytes' default block size for 4-bit quantization. */
    public static final int DEFAULT = 64;

    /** The block size of the nested (8-bit) quantization of the absmax statistics. */
    public static final int NESTED = 256;

    private Blocksize() {}

    /**
     * Returns whether {@code value} is an allowed block size.
     *
     * @param value the block size
     * @return true for a power of two in 32..4096
     */
    public static boolean isAllowed(long value) {
        return value >= 32 && value <= 4096 && Long.bitCount(value) == 1;
    }

    /**
     * Checks a block size.
     *
     * @param field the name of the field being set, for the message (e.g. {@code "blocksize"})
     * @param value the block size
     * @return {@code value}
     * @throws IllegalArgumentException naming the field and the allowed values
     */
    public static int requireAllowed(String field, long value) {
        if (!isAllowed(value)) {
            throw new IllegalArgumentException(field + " must be one of " + ALLOWED + ", got " + value);
        }
        return (int) value;
    }
}

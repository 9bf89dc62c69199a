package org.peft4j.core.io;

/**
 * bfloat16 conversions done in Java, because DJL's PyTorch engine aborts the JVM on any {@code BFLOAT16} array.
 * A bf16 value is the upper 16 bits of an IEEE 754 binary32, so widening is exact.
 */
public final class BFloat16 {

    private BFloat16() {
    }

    /**
     * Widens exactly.
     *
     * @param bits the 16 bf16 bits (as stored in a file)
     * @return the float32 bit pattern {@code bits << 16}
     */
    public static int widenBits(short bits) {
        return (bits & 0xFFFF) << 16;
    }

    /**
     * Widens exactly.
     *
     * @param bits the 16 bf16 bits
     * @return the same value as a float (NaN payloads kept as far as {@link Float#intBitsToFloat} keeps them)
     */
    public static float toFloat(short bits) {
        return Float.intBitsToFloat(widenBits(bits));
    }

    /**
     * Narrows with round-to-nearest, ties-to-even (IEEE 754's default), as PyTorch's {@code float -> bfloat16}
     * conversion does. Values beyond the largest bf16 round to infinity; NaN stays NaN (quiet, sign and the upper
     * payload bits kept).
     *
     * @param value a float32
     * @return the nearest bf16 bits
     */
    public static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        // Adding 0x7FFF plus the lowest kept bit carries into the kept half exactly when the dropped half is more
        // than half an ulp, or exactly half and the kept half is odd.
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }
}

package org.peft4j.core.io;

/** IEEE 754 binary16 decoding done in Java (Java 17 has no {@code Float.float16ToFloat}). */
public final class Float16 {

    private static final int EXPONENT_BIAS_DIFFERENCE = 127 - 15;

    private Float16() {
    }

    /**
     * Widens exactly (every binary16 value, subnormals included, is a binary32 value).
     *
     * @param bits the 16 binary16 bits (as stored in a file)
     * @return the same value; infinities stay infinite, NaN stays NaN with its payload shifted up
     */
    public static float toFloat(short bits) {
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            // zero or subnormal: mantissa * 2^-24, exact in float32
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + EXPONENT_BIAS_DIFFERENCE) << 23) | (mantissa << 13));
    }
}

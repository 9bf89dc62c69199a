package org.peft4j.quant.codebook;

/**
 * bitsandbytes' 4-bit float code book ({@code get_4bit_type("fp4")}: the raw table divided by 12).
 * Bit 3 of a code is the sign; bits 2..0 index a magnitude table that is <em>not</em> in value order.
 * The distinct magnitudes are {0, 1/192, 1/6, 1/4, 1/3, 1/2, 2/3, 1}; this is not OCP E2M1.
 *
 * <p>Quantization follows bitsandbytes' {@code dQuantizeFP4}: the sign is {@code s < 0} (so -0.0
 * gets sign 0), the magnitude code is chosen on {@code |s|} against the midpoints of consecutive
 * magnitudes with strict {@code >}, so ties go to the smaller magnitude.
 */
public final class Fp4Codebook {

    /** The code of 0.0 (and of the padding nibble of an odd element count). */
    public static final int ZERO_CODE = 0;

    /** Sign bit of a code. */
    public static final int SIGN_BIT = 8;

    private static final float[] VALUES_BY_CODE = {
        0.0f,
        0.0052083334885537624f,
        0.6666666865348816f,
        1.0f,
        0.3333333432674408f,
        0.5f,
        0.1666666716337204f,
        0.25f,
        -0.0f,
        -0.0052083334885537624f,
        -0.6666666865348816f,
        -1.0f,
        -0.3333333432674408f,
        -0.5f,
        -0.1666666716337204f,
        -0.25f,
    };

    /** Magnitude codes (bits 2..0) in ascending order of magnitude. */
    private static final int[] CODES_BY_MAGNITUDE = {0, 1, 6, 7, 4, 5, 2, 3};

    private static final float[] MAGNITUDE_THRESHOLDS;

    static {
        float[] magnitudes = new float[CODES_BY_MAGNITUDE.length];
        for (int i = 0; i < magnitudes.length; i++) {
            magnitudes[i] = VALUES_BY_CODE[CODES_BY_MAGNITUDE[i]];
        }
        MAGNITUDE_THRESHOLDS = Midpoints.of(magnitudes);
    }

    private Fp4Codebook() {}

    /**
     * Returns the 16 float32 values by code (code {@code i} dequantizes to {@code values()[i]}).
     *
     * @return a fresh copy, in code order (not value order); code 8 is -0.0
     */
    public static float[] values() {
        return VALUES_BY_CODE.clone();
    }

    /**
     * Returns the 8 magnitude codes (bits 2..0) in ascending order of magnitude: {0, 1, 6, 7, 4, 5, 2,
     * 3}.
     *
     * @return a fresh copy
     */
    public static int[] codesByMagnitude() {
        return CODES_BY_MAGNITUDE.clone();
    }

    /**
     * Returns the 7 float32 midpoints of consecutive magnitudes; the magnitude rank of {@code |s|} is
     * {@code #{t : |s| > t}}.
     *
     * @return a fresh copy, ascending
     */
    public static float[] magnitudeThresholds() {
        return MAGNITUDE_THRESHOLDS.clone();
    }
}

package org.peft4j.quant.codebook;

/**
 * The NormalFloat4 (NF4) code book of QLoRA (Dettmers et al. 2023, arXiv:2305.14314), exactly as
 * bitsandbytes hard-codes it ({@code get_4bit_type("nf4")}, {@code nf4_dequantization_lut} in
 * {@code csrc/kernels.cu}). The 4-bit code is a plain index into a table sorted ascending: 7
 * negative values, 0 at code 7, 8 positive values.
 *
 * <p>The values are not regenerated from the normal quantile function: a float32 re-derivation
 * differs from bitsandbytes in the last bit for some entries, so the table is carried over as
 * published.
 */
public final class Nf4Codebook {

    /** The code of 0.0 (and of the padding nibble of an odd element count). */
    public static final int ZERO_CODE = 7;

    private static final float[] VALUES = {
        -1.0f,
        -0.6961928009986877f,
        -0.5250730514526367f,
        -0.39491748809814453f,
        -0.28444138169288635f,
        -0.18477343022823334f,
        -0.09105003625154495f,
        0.0f,
        0.07958029955625534f,
        0.16093020141124725f,
        0.24611230194568634f,
        0.33791524171829224f,
        0.44070982933044434f,
        0.5626170039176941f,
        0.7229568362236023f,
        1.0f,
    };

    private static final float[] THRESHOLDS = Midpoints.of(VALUES);

    private Nf4Codebook() {}

    /**
     * Returns the 16 float32 values by code (code {@code i} dequantizes to {@code values()[i]}).
     *
     * @return a fresh copy, ascending
     */
    public static float[] values() {
        return VALUES.clone();
    }

    /**
     * Returns the 15 decision thresholds: the float32 midpoints {@code (v[i] + v[i+1]) / 2} of
     * consecutive codes, computed in float32 as bitsandbytes' default backend does. A normalised value
     * {@code s} gets the code {@code #{t : s > t}}, so a value exactly on a threshold takes the lower
     * code.
     *
     * @return a fresh copy, ascending
     */
    public static float[] thresholds() {
        return THRESHOLDS.clone();
    }
}

package org.peft4j.quant;

import org.peft4j.quant.codebook.Fp4Codebook;
import org.peft4j.quant.codebook.Nf4Codebook;

/**
 * A scalar, pure-Java reading of bitsandbytes' blockwise 4-bit quantization (nf4-spec §2), written
 * independently of the DJL kernels: per block absmax, {@code s = clamp(x * (1/max(absmax, 1e-38)),
 * -1, 1)} in float32, code = number of float32 midpoints strictly below {@code s} (FP4: by
 * magnitude, sign from {@code s < 0}), element 2k in the high nibble. Tests only.
 */
public final class ReferenceQuantizer {

    private ReferenceQuantizer() {}

    /** Packed bytes and absmax of one quantization. */
    public record Result(byte[] packed, float[] absmax) {}

    /**
     * Quantizes flat values.
     *
     * @param x values
     * @param type NF4 or FP4
     * @param blocksize block size
     * @return packed bytes and absmax
     */
    public static Result quantize(float[] x, QuantType type, int blocksize) {
        int n = x.length;
        int blocks = (n + blocksize - 1) / blocksize;
        float[] absmax = new float[blocks];
        int[] codes = new int[n + 1];
        codes[n] = type.zeroCode();
        for (int b = 0; b < blocks; b++) {
            int from = b * blocksize;
            int to = Math.min(n, from + blocksize);
            float max = 0f;
            for (int i = from; i < to; i++) {
                max = Math.max(max, Math.abs(x[i]));
            }
            absmax[b] = max;
            float inverse = 1f / Math.max(max, 1e-38f);
            for (int i = from; i < to; i++) {
                float s = Math.max(-1f, Math.min(1f, x[i] * inverse));
                codes[i] = type == QuantType.NF4 ? nf4(s) : fp4(s);
            }
        }
        byte[] packed = new byte[(n + 1) / 2];
        for (int k = 0; k < packed.length; k++) {
            packed[k] = (byte) ((codes[2 * k] << 4) | codes[2 * k + 1]);
        }
        return new Result(packed, absmax);
    }

    /**
     * Dequantizes: {@code code[q] * absmax[i / blocksize]} in float32.
     *
     * @param r packed bytes and absmax
     * @param type NF4 or FP4
     * @param blocksize block size
     * @param n element count
     * @return values
     */
    public static float[] dequantize(Result r, QuantType type, int blocksize, int n) {
        float[] book = type.codebook();
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            int b = r.packed()[i / 2] & 0xFF;
            int code = (i % 2 == 0) ? b >> 4 : b & 0xF;
            out[i] = book[code] * r.absmax()[i / blocksize];
        }
        return out;
    }

    /**
     * Symmetric absmax INT4 (15 levels): {@code q = rint(7 x / absmax)}, {@code x̂ = q * absmax / 7}.
     *
     * @param x values
     * @param blocksize block size
     * @return the round trip
     */
    public static float[] int4Absmax(float[] x, int blocksize) {
        float[] out = new float[x.length];
        for (int from = 0; from < x.length; from += blocksize) {
            int to = Math.min(x.length, from + blocksize);
            double max = 0;
            for (int i = from; i < to; i++) {
                max = Math.max(max, Math.abs(x[i]));
            }
            for (int i = from; i < to; i++) {
                out[i] = max == 0 ? 0f : (float) (Math.rint(7 * x[i] / max) * max / 7);
            }
        }
        return out;
    }

    private static int nf4(float s) {
        float[] t = Nf4Codebook.thresholds();
        int code = 0;
        for (float threshold : t) {
            if (s > threshold) {
                code++;
            }
        }
        return code;
    }

    private static int fp4(float s) {
        float[] t = Fp4Codebook.magnitudeThresholds();
        float magnitude = Math.abs(s);
        int rank = 0;
        for (float threshold : t) {
            if (magnitude > threshold) {
                rank++;
            }
        }
        return Fp4Codebook.codesByMagnitude()[rank] | (s < 0 ? Fp4Codebook.SIGN_BIT : 0);
    }
}

package org.peft4j.quant.blockwise;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import org.peft4j.quant.codebook.Fp4Codebook;

/**
 * Nearest-code search on normalised values in [-1, 1] against float32 decision thresholds, with
 * bitsandbytes' tie rule: the code is {@code #{t : s > t}} (strict), so a value exactly on a
 * threshold takes the lower code. All results are uint8 arrays in the manager of {@code s}.
 */
final class NearestCode {

    private NearestCode() {}

    /**
     * Counts thresholds below each value, one comparison pass per threshold (for short, sorted code
     * books such as NF4's 15 thresholds).
     */
    static NDArray countBelow(NDArray s, float[] thresholds) {
        NDArray code = s.gt(thresholds[0]).toType(DataType.UINT8, false);
        for (int i = 1; i < thresholds.length; i++) {
            try (NDArray above = s.gt(thresholds[i])) {
                code.addi(above);
            }
        }
        return code;
    }

    /**
     * Counts thresholds below each value by binary lifting over a sorted table of {@code 2^k - 1}
     * thresholds (255 for an 8-bit map): k gather-and-compare passes instead of 255.
     */
    static NDArray countBelowSorted(NDArray s, float[] thresholds) {
        int steps = Integer.numberOfTrailingZeros(thresholds.length + 1);
        if (thresholds.length + 1 != 1 << steps) {
            throw new IllegalArgumentException("expected 2^k - 1 thresholds, got " + thresholds.length);
        }
        NDManager manager = s.getManager();
        NDArray table = manager.create(thresholds);
        NDArray count = manager.zeros(s.getShape(), DataType.INT64);
        for (int step = 1 << (steps - 1); step >= 1; step >>= 1) {
            try (NDArray probe = count.add(step - 1);
                    NDArray t = table.take(manager, probe);
                    NDArray above = s.gt(t);
                    NDArray inc = above.toType(DataType.INT64, false)) {
                count.addi(inc.muli(step));
            }
        }
        NDArray code = count.toType(DataType.UINT8, false);
        count.close();
        table.close();
        return code;
    }

    /**
     * bitsandbytes FP4 codes: sign bit 8 for {@code s < 0} (not for -0.0), magnitude code by rank of
     * {@code |s|} among the magnitude midpoints, ties to the smaller magnitude.
     */
    static NDArray fp4(NDArray s) {
        NDManager manager = s.getManager();
        NDArray rank;
        try (NDArray magnitude = s.abs()) {
            rank = countBelow(magnitude, Fp4Codebook.magnitudeThresholds());
        }
        try (NDArray negative = s.lt(0f);
                NDArray sign = negative.toType(DataType.UINT8, false)) {
            rank.addi(sign.muli(Fp4Codebook.SIGN_BIT));
        }
        // rank + 8*sign -> code: the magnitude rank maps to the code bits 2..0, the sign passes through
        int[] byMagnitude = Fp4Codebook.codesByMagnitude();
        long[] lut = new long[16];
        for (int i = 0; i < 8; i++) {
            lut[i] = byMagnitude[i];
            lut[i + 8] = byMagnitude[i] + Fp4Codebook.SIGN_BIT;
        }
        try (NDArray table = manager.create(lut);
                NDArray index = rank.toType(DataType.INT64, false);
                NDArray code = table.take(manager, index)) {
            rank.close();
            return code.toType(DataType.UINT8, false);
        }
    }
}

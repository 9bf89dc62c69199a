package org.peft4j.quant.codebook;

/** Float32 midpoints of consecutive entries of a sorted code book. */
final class Midpoints {

    private Midpoints() {}

    /**
     * Returns {@code (v[i] + v[i+1]) / 2} for each consecutive pair, each step rounded to float32
     * (the sum rounds once, the halving is exact).
     */
    static float[] of(float[] sorted) {
        float[] mid = new float[sorted.length - 1];
        for (int i = 0; i < mid.length; i++) {
            mid[i] = (sorted[i] + sorted[i + 1]) / 2f;
        }
        return mid;
    }
}

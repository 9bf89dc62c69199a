package org.peft4j.models.testing;

/** Element-wise comparison of float arrays for tests (pure Java reference arithmetic). */
public final class Compare {

    private Compare() {}

    /**
     * Returns the largest absolute difference.
     *
     * @param a first
     * @param b second, same length
     * @return max |a - b|
     */
    public static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("length " + a.length + " != " + b.length);
        }
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - b[i]);
            if (Double.isNaN(d)) {
                return Double.POSITIVE_INFINITY;
            }
            m = Math.max(m, d);
        }
        return m;
    }

    /**
     * Returns the cosine similarity of two vectors, a slice of each.
     *
     * @param a first
     * @param aOff offset in {@code a}
     * @param b second
     * @param bOff offset in {@code b}
     * @param n length
     * @return cosine
     */
    public static double cosine(float[] a, int aOff, float[] b, int bOff, int n) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < n; i++) {
            dot += (double) a[aOff + i] * b[bOff + i];
            na += (double) a[aOff + i] * a[aOff + i];
            nb += (double) b[bOff + i] * b[bOff + i];
        }
        return dot / Math.sqrt(na * nb);
    }
}

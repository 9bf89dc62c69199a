package org.peft4j.merge.sparsify;

/**
 * The fraction of entries a sparsifier keeps. One place validates it so every method reports a bad
 * value the same way.
 */
public final class Density {

    private Density() {}

    /**
     * Checks a density.
     *
     * @param density fraction of entries kept
     * @return {@code density}
     * @throws IllegalArgumentException unless {@code 0 < density <= 1}
     */
    public static double require(double density) {
        if (!(density > 0.0 && density <= 1.0)) {
            throw new IllegalArgumentException(
                    "density must be in (0, 1] (fraction of entries kept), got " + density);
        }
        return density;
    }
}

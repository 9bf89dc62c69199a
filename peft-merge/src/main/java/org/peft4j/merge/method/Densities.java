package org.peft4j.merge.method;

import java.util.Arrays;
import org.peft4j.merge.sparsify.Density;

/**
 * The fraction of entries each input's task vector keeps when it is sparsified (TIES trim, DARE
 * drop): either one density for every input, or one per input, as mergekit's per-model {@code
 * density} parameter allows. Each value is validated by {@link Density#require(double)}: in (0, 1].
 */
public final class Densities {

    private final double uniform;
    private final double[] perInput;

    private Densities(double uniform, double[] perInput) {
        this.uniform = uniform;
        this.perInput = perInput;
    }

    /**
     * The same density for every input, however many there are.
     *
     * @param density fraction kept, in (0, 1]
     * @return the densities
     * @throws IllegalArgumentException unless {@code 0 < density <= 1}
     */
    public static Densities uniform(double density) {
        return new Densities(Density.require(density), null);
    }

    /**
     * One density per input, in input order.
     *
     * @param densities fraction kept by input {@code i}, each in (0, 1]
     * @return the densities
     * @throws IllegalArgumentException if empty or a value is outside (0, 1] (naming its index)
     */
    public static Densities perInput(double... densities) {
        if (densities == null || densities.length == 0) {
            throw new IllegalArgumentException("densities must hold one value per input, got none");
        }
        for (int i = 0; i < densities.length; i++) {
            try {
                Density.require(densities[i]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("densities[" + i + "]: " + e.getMessage(), e);
            }
        }
        return new Densities(Double.NaN, densities.clone());
    }

    /**
     * @return whether every input has the same density (made by {@link #uniform(double)})
     */
    public boolean isUniform() {
        return perInput == null;
    }

    /**
     * @param input input index (0-based)
     * @return the density of that input, in (0, 1]
     * @throws IndexOutOfBoundsException if per-input and {@code input} is not a valid index
     */
    public double get(int input) {
        return perInput == null ? uniform : perInput[input];
    }

    /**
     * Checks that these densities fit a number of inputs (always true for uniform densities).
     *
     * @param inputs number of inputs
     * @throws IllegalArgumentException if per-input and the count differs
     */
    public void requireCount(int inputs) {
        if (perInput != null && perInput.length != inputs) {
            throw new IllegalArgumentException(
                    "densities has " + perInput.length + " values but there are " + inputs + " inputs");
        }
    }

    /** {@inheritDoc} */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Densities)) {
            return false;
        }
        Densities d = (Densities) o;
        return Double.compare(uniform, d.uniform) == 0 && Arrays.equals(perInput, d.perInput);
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        return 31 * Double.hashCode(uniform) + Arrays.hashCode(perInput);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return perInput == null ? Double.toString(uniform) : Arrays.toString(perInput);
    }
}

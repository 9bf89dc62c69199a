package org.peft4j.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** Assertions on float32 arrays for the merge tests. */
public final class Arrays32 {

    private Arrays32() {}

    /**
     * Asserts shape and values.
     *
     * @param expected expected values (row-major)
     * @param shape expected shape
     * @param actual array under test
     * @param tolerance absolute tolerance per entry
     */
    public static void assertValues(float[] expected, Shape shape, NDArray actual, double tolerance) {
        assertEquals(shape, actual.getShape(), "shape");
        assertArrayEquals(expected, actual.toFloatArray(), (float) tolerance);
    }

    /**
     * Asserts values of a 1-D array.
     *
     * @param expected expected values
     * @param actual array under test
     * @param tolerance absolute tolerance per entry
     */
    public static void assertValues(float[] expected, NDArray actual, double tolerance) {
        assertValues(expected, new Shape(expected.length), actual, tolerance);
    }
}

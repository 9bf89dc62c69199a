package org.peft4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;

/** Exact comparisons of arrays that report the first differing element. */
public final class ArrayAssert {

    private ArrayAssert() {}

    /**
     * Asserts equal dtype, element count and bytes.
     *
     * @param expected the reference
     * @param actual the value under test
     * @param what a label for messages
     */
    public static void assertSameBytes(NDArray expected, NDArray actual, String what) {
        assertEquals(expected.getDataType(), actual.getDataType(), what + " dtype");
        assertEquals(expected.size(), actual.size(), what + " element count");
        byte[] e = expected.toByteArray();
        byte[] a = actual.toByteArray();
        for (int i = 0; i < e.length; i++) {
            if (e[i] != a[i]) {
                fail(what + ": first difference at byte " + i + ": expected " + (e[i] & 0xFF) + " but was " + (a[i] & 0xFF));
            }
        }
        assertArrayEquals(e, a, what);
    }

    /**
     * Asserts float32 values equal to the bit (0 ulp), reporting the first difference.
     *
     * @param expected the reference
     * @param actual the value under test
     * @param what a label for messages
     */
    public static void assertSameFloats(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + " length");
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                fail(what + ": first difference at element " + i + ": expected " + expected[i] + " but was " + actual[i]);
            }
        }
    }
}

package org.peft4j.merge.method;

import ai.djl.ndarray.NDArray;

/**
 * Sums a stack {@code [T, ...]} over its first axis in place, into its row 0. A streamed merge
 * reduces a stack once per tensor; summing in place allocates nothing, where {@code sum(0)} would
 * allocate (and page in) a fresh tensor-sized array each time.
 */
final class StackSum {

    private StackSum() {}

    /**
     * Adds rows {@code 1..T-1} to row 0, in order.
     *
     * @param stacked {@code [T, ...]} float32; row 0 is overwritten with the sum, the other rows are
     *     left unchanged
     * @return row 0, {@code [...]}, a view sharing {@code stacked}'s memory (it stays valid after
     *     {@code stacked} is closed)
     */
    static NDArray intoFirstRow(NDArray stacked) {
        NDArray first = stacked.get(0);
        for (long i = 1; i < stacked.getShape().get(0); i++) {
            try (NDArray row = stacked.get(i)) {
                first.addi(row);
            }
        }
        return first;
    }

    /**
     * Sums the rows into a new array, adding them in order (row 0, then 1, ...), so the result does
     * not depend on how a reduction kernel associates the terms.
     *
     * @param stacked {@code [T, ...]} float32, left unchanged
     * @return {@code [...]} float32, a new array in {@code stacked}'s manager
     */
    static NDArray ofRowsInOrder(NDArray stacked) {
        NDArray sum = stacked.get(0).duplicate();
        for (long i = 1; i < stacked.getShape().get(0); i++) {
            try (NDArray row = stacked.get(i)) {
                sum.addi(row);
            }
        }
        return sum;
    }
}

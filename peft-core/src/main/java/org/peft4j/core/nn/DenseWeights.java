package org.peft4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/**
 * Copy, assign and in-place add on dense weight arrays, written so that no temporary is left behind
 * in the (long-lived) manager of the weight: results are attached to the caller's manager at once.
 */
public final class DenseWeights {

    private DenseWeights() {}

    /**
     * Returns a float32 copy of {@code array} owned by {@code manager}.
     *
     * @param array the source
     * @param manager the owner of the copy
     * @return a new array
     */
    public static NDArray copy(NDArray array, NDManager manager) {
        NDArray c = array.toType(DataType.FLOAT32, true);
        c.attach(manager);
        return c;
    }

    /**
     * Returns a copy of {@code array} in its own dtype, owned by {@code manager}.
     *
     * @param array the source
     * @param manager the owner of the copy
     * @return a new array
     */
    public static NDArray copyKeepType(NDArray array, NDManager manager) {
        NDArray c = array.duplicate();
        c.attach(manager);
        return c;
    }

    /**
     * Overwrites {@code target} with {@code values} (same shape), converting the dtype.
     *
     * @param target the array to overwrite
     * @param values the new values; not retained
     */
    public static void assign(NDArray target, NDArray values) {
        checkShape(target, values);
        try (NDManager scratch = values.getManager().newSubManager()) {
            NDArray v = values.toType(target.getDataType(), true);
            v.attach(scratch);
            target.set(new NDIndex("..."), v);
        }
    }

    /**
     * Adds {@code delta} to {@code target} in place (the sum is formed in float32 when the target
     * is half precision, then rounded once).
     *
     * @param target the array to update
     * @param delta the update; not retained
     */
    public static void addInPlace(NDArray target, NDArray delta) {
        checkShape(target, delta);
        if (target.getDataType() == DataType.FLOAT32 && delta.getDataType() == DataType.FLOAT32) {
            target.addi(delta);
            return;
        }
        try (NDManager scratch = delta.getManager().newSubManager()) {
            NDArray sum = target.toType(DataType.FLOAT32, true);
            sum.attach(scratch);
            NDArray d = delta.toType(DataType.FLOAT32, false);
            if (d != delta) {
                d.attach(scratch);
            }
            sum.addi(d);
            assign(target, sum);
        }
    }

    private static void checkShape(NDArray target, NDArray values) {
        if (!target.getShape().equals(values.getShape())) {
            throw new IllegalArgumentException(
                    "shape mismatch: weight is " + target.getShape() + " but the values are " + values.getShape());
        }
    }
}

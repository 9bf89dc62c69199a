package org.peft4j.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import org.junit.jupiter.api.Test;

/** The dense linear layer and the weight operations merges rely on. */
class DenseLinearTest {

    @Test
    void forwardIsXTimesWTransposedPlusBias() {
        try (NDManager m = NDManager.newBaseManager()) {
            DenseLinear l = new DenseLinear(2, 3, true);
            l.initialize(m, DataType.FLOAT32);
            l.setWeight(m.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(3, 2)));
            l.bias().getArray().set(new float[] {0.5f, 0, -1});
            float[] y = l.forward(new ParameterStore(m, false), new NDList(m.create(new float[] {1, -1}, new Shape(1, 2))), false)
                    .singletonOrThrow().toFloatArray();
            // hand-computed: [1-2+0.5, 3-4, 5-6-1]
            assertArrayEquals(new float[] {-0.5f, -1f, -2f}, y);
        }
    }

    @Test
    void weightCopyIsIndependentOfTheWeight() {
        try (NDManager m = NDManager.newBaseManager()) {
            DenseLinear l = new DenseLinear(4, 4, false);
            l.initialize(m, DataType.FLOAT32);
            float[] before = l.weight().getArray().toFloatArray();
            try (NDManager scratch = m.newSubManager()) {
                NDArray c = l.weightCopy(scratch);
                c.addi(100f);
            }
            assertArrayEquals(before, l.weight().getArray().toFloatArray(), "changing the copy must not touch the weight");
        }
    }

    @Test
    void addToWeightOnHalfPrecisionRoundsOnce() {
        try (NDManager m = NDManager.newBaseManager()) {
            DenseLinear l = new DenseLinear(2, 1, false);
            l.initialize(m, DataType.FLOAT32);
            NDArray w = l.weight().getArray();
            NDArray half = m.create(new float[] {1f, 2f}, new Shape(1, 2)).toType(DataType.FLOAT16, false);
            DenseWeights.addInPlace(half, m.create(new float[] {0.25f, -0.5f}, new Shape(1, 2)));
            assertArrayEquals(new float[] {1.25f, 1.5f}, half.toType(DataType.FLOAT32, false).toFloatArray());
            assertEquals(DataType.FLOAT16, half.getDataType());
            assertEquals(new Shape(1, 2), w.getShape());
        }
    }
}

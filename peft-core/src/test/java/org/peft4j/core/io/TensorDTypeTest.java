package org.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;

class TensorDTypeTest {

    @Test
    void headerSpellingsAndSizesFollowTheFormat() {
        // spellings and byte sizes of safetensors' Dtype (safetensors/src/tensor.rs)
        String[] names = {"F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL"};
        int[] sizes = {8, 4, 2, 2, 8, 4, 2, 1, 1, 1};
        for (int i = 0; i < names.length; i++) {
            TensorDType dtype = TensorDType.fromFileName(names[i]);
            assertEquals(names[i], dtype.fileName());
            assertEquals(sizes[i], dtype.byteSize());
        }
    }

    @Test
    void unknownSpellingListsTheAllowedOnes() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> TensorDType.fromFileName("f32"));
        assertTrue(error.getMessage().contains("'f32'") && error.getMessage().contains("BF16, I64"),
                error.getMessage());
    }

    @Test
    void djlTypesMapBothWaysWithBf16WidenedAndI16Unsupported() {
        for (TensorDType dtype : TensorDType.values()) {
            if (dtype == TensorDType.BF16) {
                assertEquals(DataType.FLOAT32, dtype.djlType());
            } else if (dtype == TensorDType.I16) {
                assertThrows(UnsupportedOperationException.class, dtype::djlType);
            } else {
                assertEquals(dtype, TensorDType.of(dtype.djlType()));
                assertEquals(dtype.byteSize(), dtype.djlType().getNumOfBytes());
            }
        }
        assertEquals(TensorDType.BF16, TensorDType.of(DataType.BFLOAT16));
        assertEquals(TensorDType.I16, TensorDType.of(DataType.INT16));
        assertThrows(IllegalArgumentException.class, () -> TensorDType.of(DataType.STRING));
        assertThrows(IllegalArgumentException.class, () -> TensorDType.of(DataType.UINT16));
    }
}

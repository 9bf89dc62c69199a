package org.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class Float16Test {

    @Test
    void knownEncodingsDecode() {
        // IEEE 754 binary16 reference encodings
        assertEquals(1f, Float16.toFloat((short) 0x3C00));
        assertEquals(-2f, Float16.toFloat((short) 0xC000));
        assertEquals(65504f, Float16.toFloat((short) 0x7BFF));
        assertEquals(0x1p-14f, Float16.toFloat((short) 0x0400));
        assertEquals(0x1p-24f, Float16.toFloat((short) 0x0001));
        assertEquals(0x3FFp-24f, Float16.toFloat((short) 0x03FF));
        assertEquals(Float.POSITIVE_INFINITY, Float16.toFloat((short) 0x7C00));
        assertEquals(Float.NEGATIVE_INFINITY, Float16.toFloat((short) 0xFC00));
        assertEquals(0x80000000, Float.floatToRawIntBits(Float16.toFloat((short) 0x8000)));
        assertTrue(Float.isNaN(Float16.toFloat((short) 0x7E00)));
        assertEquals(0.333251953125f, Float16.toFloat((short) 0x3555));
    }

    /** The engine's own float16 -> float32 conversion is the reference for all 65,536 encodings. */
    @Test
    void everyEncodingMatchesTheEngine() {
        ByteBuffer all = ByteBuffer.allocateDirect(2 * 65536).order(ByteOrder.LITTLE_ENDIAN);
        for (int bits = 0; bits < 65536; bits++) {
            all.putShort((short) bits);
        }
        all.flip();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray half = manager.create(all, new Shape(65536), DataType.FLOAT16);
            float[] engine = half.toType(DataType.FLOAT32, false).toFloatArray();
            for (int bits = 0; bits < 65536; bits++) {
                float ours = Float16.toFloat((short) bits);
                if (Float.isNaN(engine[bits])) {
                    assertTrue(Float.isNaN(ours), Integer.toHexString(bits));
                } else {
                    assertEquals(Float.floatToRawIntBits(engine[bits]), Float.floatToRawIntBits(ours),
                            Integer.toHexString(bits));
                }
            }
        }
    }
}

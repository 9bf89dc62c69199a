package org.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class BFloat16Test {

    @Test
    void wideningIsExactlyTheBitsShiftedUp() {
        for (int bits = 0; bits < 0x10000; bits++) {
            int widened = BFloat16.widenBits((short) bits);
            assertEquals(bits << 16, widened);
            float value = BFloat16.toFloat((short) bits);
            if (Float.isNaN(value)) {
                assertTrue((bits & 0x7F80) == 0x7F80 && (bits & 0x7F) != 0);
            } else {
                assertEquals(bits << 16, Float.floatToRawIntBits(value));
            }
        }
    }

    @Test
    void narrowingRoundsToNearestTiesToEven() {
        // float bits -> expected bf16 bits (IEEE 754 round-to-nearest-even on the dropped low 16 bits)
        int[][] cases = {
            {0x3F800000, 0x3F80}, // 1.0 exact
            {0x3F808000, 0x3F80}, // tie, kept half even -> down
            {0x3F818000, 0x3F82}, // tie, kept half odd -> up
            {0x3F808001, 0x3F81}, // just above half -> up
            {0x3F807FFF, 0x3F80}, // just below half -> down
            {0xBF818000, 0xBF82}, // negative tie, odd -> away from zero
            {0x7F7FFFFF, 0x7F80}, // largest float rounds to infinity
            {0x7F7F7FFF, 0x7F7F}, // stays the largest finite bf16
            {0x7F800000, 0x7F80}, // +inf
            {0xFF800000, 0xFF80}, // -inf
            {0x80000000, 0x8000}, // -0
            {0x00008000, 0x0000}, // subnormal tie, even -> down
            {0x00018000, 0x0002}, // subnormal tie, odd -> up
            {0x007FFFFF, 0x0080}, // largest subnormal rounds up to the smallest normal
        };
        for (int[] c : cases) {
            assertEquals((short) c[1], BFloat16.fromFloat(Float.intBitsToFloat(c[0])),
                    () -> Integer.toHexString(c[0]));
        }
    }

    @Test
    void narrowingKeepsNanAsQuietNan() {
        short nan = BFloat16.fromFloat(Float.NaN);
        assertTrue(Float.isNaN(BFloat16.toFloat(nan)));
        // a NaN whose payload lives only in the dropped bits must not become infinity
        short lowPayload = BFloat16.fromFloat(Float.intBitsToFloat(0x7F800001));
        assertTrue(Float.isNaN(BFloat16.toFloat(lowPayload)));
    }

    /** Checks against a reference that picks the nearer bf16 neighbour by exact double arithmetic. */
    @Test
    void narrowingMatchesAnExactNearestNeighbourReference() {
        Random random = new Random(7);
        for (int i = 0; i < 200_000; i++) {
            float value = Float.intBitsToFloat(random.nextInt());
            if (Float.isNaN(value) || Float.isInfinite(value)) {
                continue;
            }
            assertEquals(reference(value), BFloat16.fromFloat(value), () -> Float.toString(value));
        }
    }

    private static short reference(float value) {
        int bits = Float.floatToRawIntBits(value);
        int down = bits & 0xFFFF0000;
        int up = down + 0x10000; // next bf16 away from zero (may be infinity)
        double distanceDown = Math.abs((double) value - Float.intBitsToFloat(down));
        double upValue = (up & 0x7FFFFFFF) >= 0x7F800000 ? Math.copySign(Math.scalb(1.0, 128), value)
                : Float.intBitsToFloat(up);
        double distanceUp = Math.abs(upValue - value);
        int chosen;
        if (distanceDown < distanceUp) {
            chosen = down;
        } else if (distanceUp < distanceDown) {
            chosen = up;
        } else {
            chosen = ((down >>> 16) & 1) == 0 ? down : up;
        }
        return (short) (chosen >>> 16);
    }
}

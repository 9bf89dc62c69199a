package org.peft4j.quant.codebook;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonArray;

import org.junit.jupiter.api.Test;
import org.peft4j.quant.Fixtures;

/** The hard-coded code books equal bitsandbytes' tables bit for bit (fixture codebooks.json). */
class CodebookTest {

    private static void assertSameBits(JsonArray expected, float[] actual) {
        assertEquals(expected.size(), actual.length, "length");
        for (int i = 0; i < actual.length; i++) {
            float want = expected.get(i).getAsFloat();
            // raw bits: FP4 code 8 is -0.0, which must not read as +0.0
            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(actual[i]), "code " + i + ": " + want + " vs " + actual[i]);
        }
    }

    @Test
    void nf4ValuesEqualBitsandbytesTable() {
        assertSameBits(Fixtures.json("codebooks.json").getAsJsonArray("nf4"), Nf4Codebook.values());
    }

    @Test
    void fp4ValuesByCodeEqualBitsandbytesTableIncludingNegativeZero() {
        assertSameBits(Fixtures.json("codebooks.json").getAsJsonArray("fp4_by_code"), Fp4Codebook.values());
    }

    @Test
    void dynamicMapEqualsBitsandbytesTable() {
        assertSameBits(Fixtures.json("codebooks.json").getAsJsonArray("dynamic8_by_code"), DynamicMap.values());
    }

    @Test
    void zeroCodesPointAtZero() {
        assertEquals(0f, Nf4Codebook.values()[Nf4Codebook.ZERO_CODE]);
        assertEquals(0f, Fp4Codebook.values()[Fp4Codebook.ZERO_CODE]);
        assertEquals(0f, DynamicMap.values()[DynamicMap.ZERO_CODE]);
    }
}

package org.peft4j.quant.blockwise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.peft4j.quant.QuantConfig;
import org.peft4j.quant.QuantType;

/** Block sizes: the powers of two 32..4096 that bitsandbytes accepts, anything else named and refused. */
class BlocksizeTest {

    private static final String ALLOWED = "[32, 64, 128, 256, 512, 1024, 2048, 4096]";

    @ParameterizedTest(name = "{0}")
    @ValueSource(ints = {0, -64, 16, 48, 100, 8192})
    void configRejectsBlocksizeNamingFieldAndAllowedValues(int blocksize) {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> QuantConfig.builder().blocksize(blocksize).build());
        assertTrue(e.getMessage().contains("blocksize"), e.getMessage());
        assertTrue(e.getMessage().contains(ALLOWED), e.getMessage());
        assertTrue(e.getMessage().contains(Integer.toString(blocksize)), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(ints = {32, 64, 128, 256, 512, 1024, 2048, 4096})
    void everyPowerOfTwoFrom32To4096IsAccepted(int blocksize) {
        assertEquals(blocksize, QuantConfig.builder().blocksize(blocksize).build().blocksize());
    }

    @Test
    void kernelsRejectBadBlocksizeBeforeTouchingData() {
        try (NDManager m = NDManager.newBaseManager()) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> Blockwise4Bit.quantize(m.ones(new ai.djl.ndarray.types.Shape(8)), QuantType.NF4, 96, m));
            assertTrue(e.getMessage().contains("blocksize") && e.getMessage().contains(ALLOWED), e.getMessage());
            IllegalArgumentException e8 = assertThrows(
                    IllegalArgumentException.class,
                    () -> Blockwise8Bit.quantize(m.ones(new ai.djl.ndarray.types.Shape(8)), 96, m));
            assertTrue(e8.getMessage().contains(ALLOWED), e8.getMessage());
        }
    }

    @Test
    void qloraDefaultsAreNf4Blocksize64WithDoubleQuantization() {
        // QLoRA (arXiv:2305.14314): NF4, block size 64, double quantization with block size 256
        QuantConfig c = QuantConfig.qlora();
        assertEquals(QuantType.NF4, c.quantType());
        assertEquals(64, c.blocksize());
        assertTrue(c.doubleQuant());
        assertEquals(256, Blocksize.NESTED);
    }

    @Test
    void badKeepPatternIsRejectedNamingTheField() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> QuantConfig.builder().keep("classifier(").build());
        assertTrue(e.getMessage().startsWith("keep"), e.getMessage());
    }
}
